// The tuning loop of one problem, independent of how candidates are timed (Measurer), so that its
// logic (ranking, strategy, resume, recording, winner) is tested on the CPU with a fake measurer.
//
// For a problem: the measurer prepares its data and says which index histogram it holds; the
// model ranks every runnable candidate with that histogram; the strategy picks candidates; each is
// skipped when the database already has a result for this GPU and build (resume: the stored result
// is read back and counts), else timed, and its result is written at once in its own transaction,
// so a killed tune loses at most the candidate in flight. Failures are results. A run of several
// problems (tune_problems) ends by recomputing the heuristics table from the measurements.
#pragma once

#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "db/repository.hpp"
#include "model/coefficients.hpp"
#include "model/gpu_spec.hpp"
#include "model/problem.hpp"
#include "tuner/strategy.hpp"

namespace vqt::tuner {

class Measurer {
 public:
  virtual ~Measurer() = default;
  virtual db::Timer timer() const = 0;
  // Sets up the problem's data and returns the sorted CDF of its codebook lookups (what the model
  // needs to rank candidates for exactly this data) and a one-line description of its source.
  virtual std::vector<double> prepare(const Problem& p, std::string* histogram_source) = 0;
  // Whether the kernel family behind this measurer can run `c` for the prepared problem at all
  // (launch-parameter limits, shared memory). The model's enumeration is filtered by it before a
  // strategy picks, so a search never spends its budget on candidates that cannot run.
  virtual bool implementable(const Candidate& c) const {
    (void)c;
    return true;
  }
  // The kernel family's own search space for the prepared problem, one Candidate per distinct
  // launch configuration, when it differs from the model's enumeration (model/enumerate.hpp). The
  // tune loop then ranks exactly these with the model (those it cannot predict go last, in key
  // order) and filters them by implementable(). Empty (the default): the model's enumeration.
  virtual std::vector<Candidate> search_space(const Problem& p) const {
    (void)p;
    return {};
  }
  // Validates and times one candidate; candidate failures are statuses, not exceptions.
  virtual TrialResult measure(const Candidate& c) = 0;
};

struct TuneSettings {
  std::string strategy = "model-top-k";
  StrategyOptions strategy_options;
  GpuSpec spec;  // effective spec (measured ceilings merged)
  ModelCoefficients coef;
  bool resume = true;
  // Where results go (all null/0: nothing stored, nothing resumed).
  db::Repository* repo = nullptr;
  db::GpuRecord gpu;
  std::string build_commit;
  std::int64_t run_id = 0;
  std::string model_version = "default";  // label of the coefficients the predictions used
  std::ostream* progress = nullptr;
};

struct ProblemOutcome {
  Problem problem;
  std::size_t enumerated = 0;  // candidates the model enumerated (runnable by its rules)
  std::size_t runnable = 0;    // of those, the ones the measurer's kernels implement
  std::vector<TrialResult> trials;
  std::optional<std::size_t> winner;  // index into trials
  std::size_t resumed = 0;
  Candidate model_top1;
  double model_top1_predicted_s = 0;
  double elapsed_s = 0;
};

ProblemOutcome tune_problem(const Problem& p, Measurer& m, const TuneSettings& s);

struct TuneRunOutcome {
  std::vector<ProblemOutcome> problems;
  std::int64_t heuristics_rows = 0;  // rows of the recomputed heuristics table (0 without a DB)
  double elapsed_s = 0;
};

// Tunes `problems` in order (a line per problem with an estimate of the time left goes to
// s.progress; `on_done`, when given, sees each outcome as it finishes), then finish_tune_run(s),
// so that `vqtune export` and the runtime lookup (db::Heuristics) see the new winners at once.
TuneRunOutcome tune_problems(
    const std::vector<Problem>& problems, Measurer& m, const TuneSettings& s,
    const std::function<void(std::size_t index, const ProblemOutcome&)>& on_done = {});

// With a database (s.repo): marks run s.run_id finished and recomputes the heuristics table
// (db::Repository::recompute_heuristics) from every measurement in it; returns its row count.
// Without one: nothing, 0.
std::int64_t finish_tune_run(const TuneSettings& s);

// The stored result of (gpu uuid, problem, candidate) from a run of `build_commit`, if any.
std::optional<TrialResult> stored_result(db::Repository& repo, const std::string& gpu_uuid,
                                         const Problem& p, const Candidate& c,
                                         const std::string& build_commit);

// Writes one trial (problem and candidate rows upserted) in its own transaction, with the model's
// prediction of it when `prediction` is given (for GPU class `gpu_key`).
void record_trial(db::Repository& repo, std::int64_t run_id, std::int64_t gpu_id, const Problem& p,
                  const TrialResult& t, db::Timer timer, const db::Prediction* prediction = nullptr,
                  const std::string& gpu_key = "");

}  // namespace vqt::tuner
