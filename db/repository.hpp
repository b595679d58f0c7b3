// Repository: the API the tuner and the CLI use to read and write a vqtune database. It owns one
// Connection and caches its prepared statements. Write methods join the caller's transaction when
// one is open (transaction()), else each statement commits on its own; batch inserts in a
// transaction for speed and so that a killed process leaves no partial batch.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "db/records.hpp"
#include "db/schema.hpp"

namespace vqt::db {

struct TableCounts {
  std::vector<std::pair<std::string, std::int64_t>> rows;  // table name -> row count
};

// One ok measurement with its problem and candidate (what calibration and accuracy read).
struct MeasuredTime {
  Problem problem;
  Candidate candidate;
  std::string candidate_key;
  double median_s = 0;
};

struct StoredRun {
  std::int64_t id = 0;
  RunInfo info;
};

class Repository {
 public:
  explicit Repository(Connection conn);
  static Repository open(const std::string& path, Access access, int busy_timeout_ms = 10000);

  Connection& connection() { return conn_; }
  Transaction transaction() { return Transaction(conn_); }

  // Identity of this process for a run record: user, host, version and build commit.
  static RunInfo this_process_run(const std::string& kind, const std::string& args);

  std::int64_t upsert_gpu(const GpuRecord& gpu);
  // Inserts the run (filling uuid and started_at when empty); returns its id.
  std::int64_t begin_run(RunInfo& run);
  void finish_run(std::int64_t run_id);
  std::int64_t record_ceiling(std::int64_t gpu_id, std::optional<std::int64_t> run_id, Ceiling c);
  std::int64_t upsert_problem(const Problem& p);
  std::int64_t upsert_candidate(const Candidate& c);
  std::int64_t insert_measurement(std::int64_t run_id, std::int64_t gpu_id, std::int64_t problem_id,
                                  std::int64_t candidate_id, Measurement m);
  // Same, but a row whose uid is already stored is skipped (merge / import); false when skipped.
  bool insert_measurement_if_new(std::int64_t run_id, std::int64_t gpu_id, std::int64_t problem_id,
                                 std::int64_t candidate_id, const Measurement& m);
  // Replaces the prediction of the same (gpu_key, problem, candidate, model_version).
  void insert_prediction(const std::string& gpu_key, std::int64_t problem_id,
                         std::int64_t candidate_id, const Prediction& p);
  void save_coefficients(const std::string& gpu_key, const std::string& model_version,
                         const std::string& coefficients_json);
  // The coefficients of `model_version`, or of the latest fitted version when it is empty.
  std::optional<std::string> load_coefficients(const std::string& gpu_key,
                                               const std::string& model_version = "");

  // True when this GPU (uuid) already has a measurement of (problem, candidate) from a run of
  // `build_commit`, so a resumed tuner skips it. Failed measurements count: they are results.
  bool already_measured(const std::string& gpu_uuid, const Problem& p, const Candidate& c,
                        const std::string& build_commit);

  // The latest measurement of (problem, candidate) on this GPU from a run of `build_commit`, so a
  // resumed tuner can reuse its result (uid, status, timer and statistics).
  std::optional<Measurement> latest_measurement(const std::string& gpu_uuid, const Problem& p,
                                                const Candidate& c,
                                                const std::string& build_commit);
  // Every ceiling recorded for a GPU class, oldest first (measured_at, then insertion order).
  std::vector<Ceiling> ceilings(const std::string& gpu_key);
  // Every ok measurement (median_s > 0) on any device of a GPU class, ordered by problem key,
  // candidate key, then insertion order (so the last row of a pair is its latest measurement).
  std::vector<MeasuredTime> ok_measurements(const std::string& gpu_key);

  // Recomputes the heuristics table from measurements (and predictions where nothing was
  // measured) in one transaction; returns the number of rows. See docs/database.md for the rule.
  std::int64_t recompute_heuristics();

  // Heuristics rows with their evidence, for one GPU class or all, ordered by key.
  std::vector<HeuristicRow> heuristics(const std::string& gpu_key = "");

  std::vector<GpuRecord> gpus();
  TableCounts counts();
  std::optional<StoredRun> last_run();

  // Cached prepared statement for `sql`.
  Statement& stmt(const std::string& sql);

 private:
  Connection conn_;
  std::map<std::string, std::unique_ptr<Statement>> cache_;
};

// A random 128-bit hex id (fresh per process, also after fork()).
std::string random_uid();
// Current UTC time, ISO 8601 with milliseconds: "2026-11-21T19:52:58.123Z".
std::string utc_now();
// Rebuilds a Problem from the problems table row at the statement's columns [first, first + 21).
Problem problem_from_columns(const Statement& st, int first);
// The problems table columns in that order (for SELECTs), optionally each with a table prefix.
const char* problem_columns();
std::string problem_columns(const std::string& prefix);

}  // namespace vqt::db
