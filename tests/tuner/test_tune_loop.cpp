// cpu tier: the tuning loop with a fake measurer and a real (temporary) database: results are
// recorded as they come, a rerun resumes without re-timing, failures are results, and the winner
// is the same on every rerun; a run of problems ends with the heuristics the runtime reads.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "db/bucket.hpp"
#include "db/heuristics.hpp"
#include "db/repository.hpp"
#include "model/cost_model.hpp"
#include "tuner/tune_loop.hpp"
#include "vq/error.hpp"

using namespace vqt;
using namespace vqt::tuner;

namespace {

// Time = 1 us + a hash of the key (so the model's order is not the measured order); every 3rd
// candidate it is asked for fails validation.
class FakeMeasurer : public Measurer {
 public:
  int calls = 0;
  db::Timer timer() const override { return db::Timer::cupti; }
  std::vector<double> prepare(const Problem& p, std::string* source) override {
    *source = "zipf:1.0";
    return zipf_sorted_cdf(p.vq.stored_entries(), 1.0);
  }
  TrialResult measure(const Candidate& c) override {
    ++calls;
    TrialResult t;
    t.candidate = c;
    if (calls % 3 == 0) {
      t.status = db::Status::validation_failed;
      t.detail = "rel err 0.5";
      return t;
    }
    t.median_s = 1e-6 * (1.0 + double(stable_hash(c.key()) % 1000) / 100.0);
    t.min_s = t.median_s * 0.99;
    t.max_s = t.median_s * 1.01;
    t.rel_stdev = 0.002;
    t.count = 10;
    return t;
  }
};

struct TempDb {
  std::string path;
  TempDb() {
    path = (std::filesystem::temp_directory_path() /
            ("vqt_tune_test_" + std::to_string(::getpid()) + ".db"))
               .string();
    std::filesystem::remove(path);
  }
  ~TempDb() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  }
};

Problem gemv_problem() {
  Problem p;
  p.op = Op::gemv;
  p.vq = parse_vq("aqlm-3");
  p.m = 1;
  p.n = 4096;
  p.k = 4096;
  p.validate();
  return p;
}

// Settings that record into `repo` as build "abc" of a test GPU.
TuneSettings recording_settings(db::Repository& repo) {
  TuneSettings s;
  s.spec = find_gpu("h100-sxm");
  s.repo = &repo;
  s.gpu.uuid = "GPU-test";
  s.gpu.name = "Test GPU";
  s.gpu.driver = "1.0";
  s.gpu.cuda_version = "13.0";
  s.build_commit = "abc";
  db::RunInfo run = db::Repository::this_process_run("tune", "test");
  run.build_commit = "abc";
  s.run_id = repo.begin_run(run);
  return s;
}

}  // namespace

TEST(TuneLoop, RecordsResumesAndPicksTheSameWinner) {
  TempDb tmp;
  auto repo = db::Repository::open(tmp.path, db::Access::create);
  TuneSettings s = recording_settings(repo);

  FakeMeasurer m1;
  const ProblemOutcome a = tune_problem(gemv_problem(), m1, s);
  ASSERT_GE(a.runnable, 10u);
  EXPECT_EQ(a.trials.size(), 10u);  // model-top-k: 8 + 2
  EXPECT_EQ(m1.calls, 10);
  EXPECT_EQ(a.resumed, 0u);
  ASSERT_TRUE(a.winner.has_value());
  EXPECT_EQ(a.trials[*a.winner].status, db::Status::ok);
  int failed = 0;
  for (const auto& t : a.trials) failed += t.status == db::Status::validation_failed;
  EXPECT_EQ(failed, 3);
  EXPECT_EQ(a.trials[0].candidate, a.model_top1);

  // The model's prediction of every timed candidate is stored beside its measurement.
  EXPECT_EQ(repo.connection().query_int("SELECT COUNT(*) FROM predictions"), 10);
  EXPECT_EQ(repo.connection().query_int(
                "SELECT COUNT(*) FROM predictions WHERE predicted_s > 0 AND bytes_json LIKE "
                "'{\"hbm\":%'"),
            10);

  // Rerun on the same file, same build: nothing is timed again, the winner is the same.
  FakeMeasurer m2;
  const ProblemOutcome b = tune_problem(gemv_problem(), m2, s);
  EXPECT_EQ(m2.calls, 0);
  EXPECT_EQ(b.resumed, 10u);
  ASSERT_TRUE(b.winner.has_value());
  EXPECT_EQ(b.trials[*b.winner].candidate, a.trials[*a.winner].candidate);
  EXPECT_DOUBLE_EQ(b.trials[*b.winner].median_s, a.trials[*a.winner].median_s);
  for (std::size_t i = 0; i < a.trials.size(); ++i)
    EXPECT_EQ(b.trials[i].status, a.trials[i].status);

  // Another build re-times everything.
  s.build_commit = "def";
  FakeMeasurer m3;
  tune_problem(gemv_problem(), m3, s);
  EXPECT_EQ(m3.calls, 10);
}

// The second candidate's timing fails (a timer that saw no work): recorded as timeout.
class TimeoutOnceMeasurer : public FakeMeasurer {
 public:
  TrialResult measure(const Candidate& c) override {
    TrialResult t = FakeMeasurer::measure(c);
    if (calls == 2) {
      t = TrialResult{};
      t.candidate = c;
      t.status = db::Status::timeout;
      t.detail = "timing: the cupti timer saw no work in 8 launches in a row";
    }
    return t;
  }
};

TEST(TuneLoop, ARerunTimesTimeoutsAgainButNotOtherFailures) {
  TempDb tmp;
  auto repo = db::Repository::open(tmp.path, db::Access::create);
  TuneSettings s = recording_settings(repo);

  TimeoutOnceMeasurer m1;
  const ProblemOutcome a = tune_problem(gemv_problem(), m1, s);
  ASSERT_EQ(a.trials.size(), 10u);
  EXPECT_EQ(a.trials[1].status, db::Status::timeout);
  EXPECT_EQ(repo.connection().query_int(
                "SELECT COUNT(*) FROM measurements WHERE status = 'timeout' AND median_s IS NULL"),
            1);

  // The rerun times only the timed-out candidate; the validation failures stay results.
  FakeMeasurer m2;
  const ProblemOutcome b = tune_problem(gemv_problem(), m2, s);
  EXPECT_EQ(m2.calls, 1);
  EXPECT_EQ(b.resumed, 9u);
  EXPECT_EQ(b.trials[1].status, db::Status::ok);
  EXPECT_GT(b.trials[1].median_s, 0.0);
}

// Only candidates the measurer implements are searched (the model enumerates more).
class PickyMeasurer : public FakeMeasurer {
 public:
  bool implementable(const Candidate& c) const override { return c.n_reg == 0; }
};

TEST(TuneLoop, SearchesOnlyImplementableCandidates) {
  TuneSettings s;
  s.spec = find_gpu("h100-sxm");
  PickyMeasurer m;
  const ProblemOutcome a = tune_problem(gemv_problem(), m, s);
  ASSERT_GT(a.enumerated, a.runnable);
  ASSERT_GE(a.runnable, 10u);
  EXPECT_EQ(a.trials.size(), 10u);
  for (const auto& t : a.trials) EXPECT_EQ(t.candidate.n_reg, 0) << t.candidate.key();
  EXPECT_EQ(a.model_top1.n_reg, 0);
}

TEST(TuneLoop, WithoutDatabaseNothingIsStoredAndExhaustiveTimesAll) {
  TuneSettings s;
  s.spec = find_gpu("h100-sxm");
  s.strategy = "exhaustive";
  FakeMeasurer m;
  const ProblemOutcome a = tune_problem(gemv_problem(), m, s);
  EXPECT_EQ(a.trials.size(), a.runnable);
  EXPECT_EQ(std::size_t(m.calls), a.runnable);
}

namespace {

// FakeMeasurer whose prepare() fails for batch-16 problems (a device error mid-run).
class FailsOnBatch16 : public FakeMeasurer {
 public:
  std::vector<double> prepare(const Problem& p, std::string* source) override {
    if (p.m == 16) throw Error("device lost");
    return FakeMeasurer::prepare(p, source);
  }
};

TuneSettings settings_into(db::Repository& repo) {
  TuneSettings s;
  s.spec = find_gpu("h100-sxm");
  s.repo = &repo;
  s.gpu = {"GPU-test", "Test GPU", 9, 0, "1.0", "13.0", "h100-sxm"};
  s.build_commit = "abc";
  db::RunInfo run = db::Repository::this_process_run("tune", "test");
  run.build_commit = "abc";
  s.run_id = repo.begin_run(run);
  return s;
}

Problem with_batch(std::int64_t m) {
  Problem p = gemv_problem();
  p.m = m;
  p.validate();
  return p;
}

}  // namespace

TEST(TuneLoop, ARunOfProblemsLeavesItsWinnersInTheRuntimeLookup) {
  TempDb tmp;
  auto repo = db::Repository::open(tmp.path, db::Access::create);
  const TuneSettings s = settings_into(repo);
  const std::vector<Problem> problems = {with_batch(1), with_batch(16)};
  EXPECT_EQ(db::Heuristics::load(tmp.path, "h100-sxm").size(), 0u);
  ASSERT_NE(db::bucket_of(problems[0]).dims[0], db::bucket_of(problems[1]).dims[0]);

  FakeMeasurer m;
  std::vector<std::size_t> seen;
  const TuneRunOutcome run =
      tune_problems(problems, m, s, [&](std::size_t i, const ProblemOutcome& o) {
        EXPECT_EQ(o.problem.key(), problems[i].key());
        seen.push_back(i);
      });
  EXPECT_EQ(seen, (std::vector<std::size_t>{0, 1}));
  ASSERT_EQ(run.problems.size(), 2u);
  EXPECT_GE(run.heuristics_rows, 2);
  const auto last = repo.last_run();
  ASSERT_TRUE(last);
  EXPECT_EQ(last->id, s.run_id);
  EXPECT_TRUE(last->info.finished_at.has_value());

  // What `vqtune export` and vqt::Runtime read: the tuned winner of each problem, measured.
  const db::Heuristics h = db::Heuristics::load(tmp.path, "h100-sxm");
  EXPECT_EQ(h.size(), std::size_t(run.heuristics_rows));
  for (const ProblemOutcome& o : run.problems) {
    ASSERT_TRUE(o.winner.has_value()) << o.problem.key();
    const TrialResult& w = o.trials[*o.winner];
    const auto got = h.lookup(o.problem);
    ASSERT_EQ(got.source, db::Heuristics::Source::exact) << o.problem.key();
    EXPECT_EQ(got.entry->origin, db::Source::measured);
    EXPECT_EQ(got.entry->candidate, w.candidate) << o.problem.key();
    EXPECT_DOUBLE_EQ(got.entry->measured_s, w.median_s);
  }
}

TEST(TuneLoop, AFailedRunStillPublishesTheProblemsItFinished) {
  TempDb tmp;
  auto repo = db::Repository::open(tmp.path, db::Access::create);
  const TuneSettings s = settings_into(repo);
  FailsOnBatch16 m;
  EXPECT_THROW(tune_problems({with_batch(1), with_batch(16)}, m, s), Error);
  const auto last = repo.last_run();
  ASSERT_TRUE(last);
  EXPECT_FALSE(last->info.finished_at.has_value());  // the run did not finish
  const db::Heuristics h = db::Heuristics::load(tmp.path, "h100-sxm");
  const auto got = h.lookup(with_batch(1));
  ASSERT_EQ(got.source, db::Heuristics::Source::exact);
  EXPECT_EQ(got.entry->origin, db::Source::measured);
  // The failed problem has no row of its own (a lookup falls back to the nearest bucket).
  EXPECT_NE(h.lookup(with_batch(16)).source, db::Heuristics::Source::exact);
}

TEST(TuneLoop, FinishTuneRunWithoutADatabaseDoesNothing) {
  TuneSettings s;
  s.spec = find_gpu("h100-sxm");
  FakeMeasurer m;
  const TuneRunOutcome run = tune_problems({with_batch(1)}, m, s);
  EXPECT_EQ(run.heuristics_rows, 0);
  EXPECT_EQ(m.calls, 10);
}

namespace {

// A measurer with its own search space: two candidates the model predicts and one it cannot
// (threads = 48 is not a multiple of 32), plus one the kernels refuse.
class SpaceMeasurer : public FakeMeasurer {
 public:
  static Candidate with_threads(int threads) {
    Candidate c;
    c.tile_m = 1;
    c.tile_n = 64;
    c.threads = threads;
    return c;
  }
  std::vector<Candidate> search_space(const Problem&) const override {
    return {with_threads(48), with_threads(128), with_threads(256), with_threads(512)};
  }
  bool implementable(const Candidate& c) const override { return c.threads != 512; }
};

}  // namespace

TEST(TuneLoop, AMeasurersOwnSearchSpaceIsWhatIsTimed) {
  TuneSettings s;
  s.spec = find_gpu("h100-sxm");
  s.strategy = "exhaustive";
  SpaceMeasurer m;
  const ProblemOutcome a = tune_problem(gemv_problem(), m, s);
  EXPECT_EQ(a.enumerated, 4u);
  EXPECT_EQ(a.runnable, 3u);
  ASSERT_EQ(a.trials.size(), 3u);
  // The one the model cannot predict is still timed, after the predicted ones.
  EXPECT_EQ(a.trials.back().candidate.threads, 48);
  EXPECT_NE(a.model_top1.threads, 48);
  for (const auto& t : a.trials) EXPECT_NE(t.candidate.threads, 512);
}
