// Search strategies: which candidates of one problem the tuner times, and in which order.
//
// A strategy is handed the model's ranking (best predicted first, model/enumerate.hpp) and asked
// for one candidate at a time, seeing the previous result, so adaptive searches fit the same
// interface (KTT's searcher). Adding one: derive from SearchStrategy, add a branch to
// make_strategy(). All randomness is a splitmix64 stream seeded from the options' seed and the
// problem key, so every rank, shard and rerun times the same candidates.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "db/records.hpp"
#include "model/candidate.hpp"

namespace vqt::tuner {

// The outcome of timing one candidate (status != ok: no time; the search goes on).
struct TrialResult {
  Candidate candidate;
  db::Status status = db::Status::ok;
  double median_s = 0, min_s = 0, max_s = 0, rel_stdev = 0;
  std::int64_t count = 0;
  // Per data set (profiler.hpp): the median of its launches; median_s is over their means. Not
  // stored in the database (a resumed result has none).
  std::vector<double> set_median_s;
  std::string detail;    // why it failed, or the validation error
  bool resumed = false;  // read back from the database instead of timed
};

class SearchStrategy {
 public:
  virtual ~SearchStrategy() = default;
  virtual const char* name() const = 0;
  // The next candidate to time given the previous one's result (null on the first call);
  // nullopt when the search is done.
  virtual std::optional<Candidate> next_candidate(const TrialResult* previous) = 0;
};

struct StrategyOptions {
  int top_k = 8;           // model-top-k: the model's best k ...
  int random_extra = 2;    // ... plus this many random others
  int random_count = 10;   // random: this many
  std::uint64_t seed = 1;  // mixed with the problem key
};

// "exhaustive", "model-top-k" or "random"; throws InputError naming --strategy otherwise.
// `ranked`: all runnable candidates, best predicted first. `problem_key` seeds the randomness.
std::unique_ptr<SearchStrategy> make_strategy(const std::string& name,
                                              std::vector<Candidate> ranked,
                                              const StrategyOptions& opt,
                                              const std::string& problem_key);
const char* strategy_names();  // "exhaustive, model-top-k, random"

// Deterministic 64-bit hash of a string (FNV-1a), for seeds and shards.
std::uint64_t stable_hash(const std::string& s);

// `count` distinct indices of [0, n) in a seeded deterministic order (all of them when count >= n).
std::vector<std::size_t> sample_indices(std::size_t n, std::size_t count, std::uint64_t seed);

}  // namespace vqt::tuner
