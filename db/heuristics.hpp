// Heuristics: the runtime lookup the kernels' dispatch reads. load() opens the database read-only
// once, copies the rows of one GPU class into memory and closes it; lookups never touch SQLite.
//
// lookup(op, vq key, shape) answers with the candidate of the exact shape bucket (bucket.hpp), else
// of the nearest bucket of the same op and VQ config (smallest L1 distance of log2 dims; ties go to
// the smaller bucket key), else Source::none so the caller falls back to the cost model.
// A loaded Heuristics is immutable; lookup() may be called from several threads at once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "db/bucket.hpp"
#include "db/records.hpp"

namespace vqt::db {

class Heuristics {
 public:
  enum class Source { exact, nearest, none };

  struct Entry {
    ShapeBucket bucket;
    std::string bucket_key;
    Candidate candidate;
    std::string candidate_key;
    double measured_s = 0;   // 0 when the row came from the model
    double predicted_s = 0;  // 0 when no prediction was stored
    db::Source origin = db::Source::measured;
  };

  struct Result {
    Source source = Source::none;
    const Entry* entry = nullptr;  // null for Source::none; points into the Heuristics object
    double distance = 0;           // log2-space distance to the answering bucket
  };

  // The rows of `gpu` (a GPU class key such as "h100-sxm", or a device name or UUID stored in the
  // database). Opens `db_path` read-only (immutable when its directory is not writable). A GPU
  // with no rows gives an empty table: every lookup answers none.
  static Heuristics load(const std::string& db_path, const std::string& gpu);
  static Heuristics from_rows(const std::vector<HeuristicRow>& rows);

  Result lookup(Op op, std::string_view vq_key, const Problem& shape) const;
  // Convenience: uses shape.op and shape.vq.key() (builds a string; slower than the above).
  Result lookup(const Problem& shape) const { return lookup(shape.op, shape.vq.key(), shape); }

  std::size_t size() const { return entries_; }
  const std::string& gpu_key() const { return gpu_key_; }

 private:
  struct Group {
    Op op;
    std::string vq_key;
    std::vector<Entry> entries;
    // log2(dim) in fixed point (kLogScale per octave), one array per dim: the nearest scan is a
    // vectorizable integer min-reduction.
    std::vector<std::int32_t> log2_fixed[kBucketDims];
    std::vector<int> varying_dims;  // dims whose value differs between entries; others add a
                                    // constant to every distance and cannot change the nearest
    std::unordered_multimap<std::uint64_t, std::size_t> by_bucket;  // hash(dims) -> entry
  };
  static std::uint64_t bucket_hash(const ShapeBucket& b);
  static constexpr double kLogScale = 4096;  // matches log2_fixed() in heuristics.cpp
  const Group* find_group(Op op, std::string_view vq_key) const;

  std::string gpu_key_;
  std::vector<Group> groups_;
  std::unordered_multimap<std::size_t, std::size_t> index_;  // hash(op, vq_key) -> group
  std::size_t entries_ = 0;
};

const char* to_string(Heuristics::Source s);

}  // namespace vqt::db
