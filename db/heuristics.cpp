#include "db/heuristics.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

#include "db/repository.hpp"

namespace vqt::db {

namespace {
std::size_t group_hash(Op op, std::string_view vq_key) {
  return std::hash<std::string_view>{}(vq_key)*31u + std::size_t(op);
}
}  // namespace

const char* to_string(Heuristics::Source s) {
  switch (s) {
    case Heuristics::Source::exact:
      return "exact";
    case Heuristics::Source::nearest:
      return "nearest";
    case Heuristics::Source::none:
      return "none";
  }
  return "?";
}

Heuristics Heuristics::load(const std::string& db_path, const std::string& gpu) {
  Repository repo = Repository::open(db_path, Access::read_only);
  std::string key = gpu;
  std::vector<HeuristicRow> rows = repo.heuristics(key);
  if (rows.empty()) {
    // Resolve a device name or UUID to its class key.
    auto& st = repo.stmt("SELECT gpu_key FROM gpus WHERE uuid=?1 OR name=?1 LIMIT 1");
    st.bind(1, gpu);
    if (st.step()) {
      key = st.get_text(0);
      st.reset();
      rows = repo.heuristics(key);
    }
  }
  Heuristics h = from_rows(rows);
  h.gpu_key_ = key;
  return h;
}

Heuristics Heuristics::from_rows(const std::vector<HeuristicRow>& rows) {
  Heuristics h;
  for (const auto& r : rows) {
    if (h.gpu_key_.empty()) h.gpu_key_ = r.gpu_key;
    const Op op = parse_op(r.op);
    const Group* found = h.find_group(op, r.vq_key);
    std::size_t gi = found ? std::size_t(found - h.groups_.data()) : h.groups_.size();
    if (!found) {
      h.groups_.push_back(Group{op, r.vq_key, {}, {}, {}});
      h.index_.emplace(group_hash(op, r.vq_key), gi);
    }
    Entry e;
    for (int i = 0; i < kBucketDims; ++i) {
      e.bucket.dims[i] = r.dims[i];
      e.log2_dims[i] = std::log2(double(std::max<std::int64_t>(1, r.dims[i])));
    }
    e.bucket_key = r.bucket;
    e.candidate = r.candidate;
    e.candidate_key = r.candidate_key;
    e.measured_s = r.measured_s.value_or(0);
    e.predicted_s = r.predicted_s.value_or(0);
    e.origin = r.source;
    h.groups_[gi].entries.push_back(std::move(e));
    ++h.entries_;
  }
  // Sorted by bucket key, so a tie in distance resolves to the smaller key.
  for (auto& g : h.groups_) {
    std::sort(g.entries.begin(), g.entries.end(),
              [](const Entry& a, const Entry& b) { return a.bucket_key < b.bucket_key; });
    for (std::size_t i = 0; i < g.entries.size(); ++i) {
      g.by_bucket.emplace(bucket_hash(g.entries[i].bucket), i);
      g.log2_dims.insert(g.log2_dims.end(), g.entries[i].log2_dims,
                         g.entries[i].log2_dims + kBucketDims);
    }
  }
  return h;
}

std::uint64_t Heuristics::bucket_hash(const ShapeBucket& b) {
  std::uint64_t h = 1469598103934665603ull;
  for (std::int64_t d : b.dims) h = (h ^ std::uint64_t(d)) * 1099511628211ull;
  return h;
}

const Heuristics::Group* Heuristics::find_group(Op op, std::string_view vq_key) const {
  auto range = index_.equal_range(group_hash(op, vq_key));
  for (auto it = range.first; it != range.second; ++it) {
    const Group& g = groups_[it->second];
    if (g.op == op && g.vq_key == vq_key) return &g;
  }
  return nullptr;
}

Heuristics::Result Heuristics::lookup(Op op, std::string_view vq_key, const Problem& shape) const {
  Result res;
  const Group* g = find_group(op, vq_key);
  if (!g || g->entries.empty()) return res;
  const ShapeBucket want = bucket_of(shape);
  auto range = g->by_bucket.equal_range(bucket_hash(want));
  for (auto it = range.first; it != range.second; ++it)
    if (g->entries[it->second].bucket == want) {
      res.source = Source::exact;
      res.entry = &g->entries[it->second];
      return res;
    }
  double want_log[kBucketDims];
  for (int i = 0; i < kBucketDims; ++i)
    want_log[i] = std::log2(double(std::max<std::int64_t>(1, want.dims[i])));
  double best = INFINITY;
  std::size_t best_i = 0;
  const double* ld = g->log2_dims.data();
  for (std::size_t e = 0; e < g->entries.size(); ++e, ld += kBucketDims) {
    double d = 0;
    for (int i = 0; i < kBucketDims; ++i) d += std::fabs(ld[i] - want_log[i]);
    if (d < best) {
      best = d;
      best_i = e;
    }
  }
  res.entry = &g->entries[best_i];
  res.source = Source::nearest;
  res.distance = best;
  return res;
}

}  // namespace vqt::db
