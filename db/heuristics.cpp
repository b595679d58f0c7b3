#include "db/heuristics.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <functional>

#include "db/repository.hpp"

namespace vqt::db {

namespace {
// log2(x) in fixed point; exact and cheap for powers of two, which most bucket dims are.
std::int32_t log2_fixed(std::int64_t x) {
  if (x <= 1) return 0;
  if ((x & (x - 1)) == 0) return std::int32_t(__builtin_ctzll(std::uint64_t(x))) * 4096;
  return std::int32_t(std::lround(std::log2(double(x)) * 4096));
}

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
      h.groups_.push_back(Group{op, r.vq_key, {}, {}, {}, {}});
      h.index_.emplace(group_hash(op, r.vq_key), gi);
    }
    Entry e;
    for (int i = 0; i < kBucketDims; ++i) e.bucket.dims[i] = r.dims[i];
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
      for (int d = 0; d < kBucketDims; ++d)
        g.log2_fixed[d].push_back(log2_fixed(g.entries[i].bucket.dims[d]));
    }
    for (int d = 0; d < kBucketDims; ++d) {
      const auto& v = g.log2_fixed[d];
      if (std::any_of(v.begin(), v.end(), [&](std::int32_t x) { return x != v.front(); }))
        g.varying_dims.push_back(d);
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
  std::int32_t want_log[kBucketDims];
  for (int i = 0; i < kBucketDims; ++i) want_log[i] = log2_fixed(want.dims[i]);
  // Distances over the varying dims only, one vectorized pass per dim; then the smallest, and the
  // first entry at it (the smallest bucket key: entries are sorted by it).
  const std::size_t n = g->entries.size();
  thread_local std::vector<std::int32_t> dist;
  dist.assign(n, 0);
  std::int32_t* acc = dist.data();
  for (int d : g->varying_dims) {
    const std::int32_t* l = g->log2_fixed[d].data();
    const std::int32_t w = want_log[d];
    for (std::size_t e = 0; e < n; ++e) acc[e] += std::abs(l[e] - w);
  }
  std::int32_t best = INT32_MAX;
  for (std::size_t e = 0; e < n; ++e) best = std::min(best, acc[e]);
  std::size_t best_i = 0;
  while (acc[best_i] != best) ++best_i;
  for (int d = 0; d < kBucketDims; ++d)  // the constant dims, for the reported distance
    if (std::find(g->varying_dims.begin(), g->varying_dims.end(), d) == g->varying_dims.end())
      best += std::abs(g->log2_fixed[d][0] - want_log[d]);
  res.entry = &g->entries[best_i];
  res.distance = best / kLogScale;
  res.source = Source::nearest;
  return res;
}

}  // namespace vqt::db
