// Repository writes and reads, and the winner rule checked against a brute-force reference on
// fresh random measurements.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "db/bucket.hpp"
#include "db/fixture.hpp"
#include "db/repository.hpp"
#include "db_test_util.hpp"

using namespace vqt;
using namespace vqt::db;
using namespace vqt::db::test;

namespace {

GpuRecord gpu(const std::string& uuid, const std::string& spec = "h100-sxm") {
  return GpuRecord{uuid, "NVIDIA H100 80GB HBM3", 9, 0, "550.54.15", "12.4", spec};
}

Problem gemv(std::int64_t n, std::int64_t k, std::int64_t m = 1) {
  return Problem::matmul(Op::gemv, parse_vq("aqlm-3"), m, n, k);
}

Candidate cand(int n_smem, int threads = 128) {
  Candidate c;
  c.n_smem = n_smem;
  c.threads = threads;
  return c;
}

Measurement ok(double t, double rsd = 0.001) {
  Measurement m;
  m.median_s = t;
  m.min_s = t * 0.99;
  m.max_s = t * 1.02;
  m.rel_stdev = rsd;
  m.count = 20;
  return m;
}

}  // namespace

TEST(Repository, FixtureFillsEveryTable) {
  TempDir dir;
  Repository repo = Repository::open(dir.file("f.db"), Access::create);
  const FixtureCounts fc = fill_demo_fixture(repo);
  EXPECT_GT(fc.failed, 0);
  for (const auto& [table, rows] : repo.counts().rows) EXPECT_GT(rows, 0) << table;
  EXPECT_EQ(repo.gpus().size(), 2u);
  const auto run = repo.last_run();
  ASSERT_TRUE(run);
  EXPECT_EQ(run->info.kind, "demo");
  EXPECT_NE(run->info.note.find("SYNTHETIC"), std::string::npos);
  EXPECT_TRUE(run->info.finished_at);
  const auto rows = repo.heuristics();
  EXPECT_EQ(std::int64_t(rows.size()), fc.heuristics);
  int model_rows = 0;
  for (const auto& r : rows) {
    if (r.source == Source::model) {
      ++model_rows;
      EXPECT_FALSE(r.measured_s);
      EXPECT_TRUE(r.predicted_s);
    } else {
      ASSERT_TRUE(r.measured_s);
      EXPECT_EQ(r.run_kind.value_or(""), "demo");
      EXPECT_TRUE(r.gpu_uuid && r.driver && r.build_commit && r.measurement_uid);
    }
    EXPECT_EQ(Candidate::from_key(r.candidate_key), r.candidate);
    EXPECT_EQ(bucket_key(r.problem.op, bucket_of(r.problem)), r.bucket);
  }
  EXPECT_EQ(model_rows, 2);  // one predicted-only problem per GPU
  EXPECT_EQ(repo.load_coefficients("h100-sxm").value_or(""),
            repo.load_coefficients("h100-sxm", "demo-1").value_or("x"));
  EXPECT_FALSE(repo.load_coefficients("no-such-gpu"));
}

TEST(Repository, WinnerMatchesBruteForceOnRandomMeasurements) {
  std::mt19937_64 rng(std::random_device{}());
  std::uniform_real_distribution<double> time_s(1e-5, 2e-5), rsd(0.0, 0.01);
  TempDir dir;
  Repository repo = Repository::open(dir.file("r.db"), Access::create);
  RunInfo run = Repository::this_process_run("tune", "test");
  const auto run_id = repo.begin_run(run);
  const auto gpu_id = repo.upsert_gpu(gpu("GPU-1"));
  struct Row {
    std::string key;
    double t, rsd;
  };
  std::map<std::string, std::vector<Row>> by_problem;
  // Shapes in distinct buckets, so each bucket holds one problem.
  const std::vector<Problem> problems = {gemv(4096, 4096), gemv(16384, 4096), gemv(4096, 16384, 8)};
  for (const Problem& p : problems) {
    const auto pid = repo.upsert_problem(p);
    for (int c = 0; c < 12; ++c) {
      const Candidate cd = cand(256 * c, c % 2 ? 256 : 128);
      const auto cid = repo.upsert_candidate(cd);
      Measurement m = ok(time_s(rng), rsd(rng));
      if (c == 11) {  // fastest of all, but wrong: must never win
        m.status = Status::validation_failed;
        m.median_s = 1e-7;
      }
      repo.insert_measurement(run_id, gpu_id, pid, cid, m);
      if (m.status == Status::ok)
        by_problem[p.key()].push_back({cd.key(), *m.median_s, *m.rel_stdev});
    }
  }
  ASSERT_EQ(repo.recompute_heuristics(), 3);
  const auto rows = repo.heuristics("h100-sxm");
  ASSERT_EQ(rows.size(), 3u);
  for (const auto& r : rows) {
    const auto& cands = by_problem.at(r.problem_key);
    const auto best = *std::min_element(cands.begin(), cands.end(),
                                        [](const Row& a, const Row& b) { return a.t < b.t; });
    std::string want;
    for (const Row& c : cands)
      if (c.t <= best.t * (1 + std::max({0.005, c.rsd, best.rsd})) &&
          (want.empty() || c.key < want))
        want = c.key;
    EXPECT_EQ(r.candidate_key, want) << r.problem_key;
    EXPECT_EQ(r.source, Source::measured);
    EXPECT_EQ(r.n_devices, 1);
  }
}

TEST(Repository, TiesGoToTheSmallerKeyAndTwoDevicesMakeAMergedRow) {
  TempDir dir;
  Repository repo = Repository::open(dir.file("t.db"), Access::create);
  RunInfo run = Repository::this_process_run("tune", "test");
  const auto run_id = repo.begin_run(run);
  const auto g1 = repo.upsert_gpu(gpu("GPU-1"));
  const auto g2 = repo.upsert_gpu(gpu("GPU-2"));
  const auto pid = repo.upsert_problem(gemv(4096, 4096));
  const Candidate a = cand(512), b = cand(1024);
  ASSERT_LT(b.key(), a.key());  // "smem=1024" sorts before "smem=512"
  // a is 0.1 % faster than b: within noise, so b (smaller key) wins whatever the insert order.
  repo.insert_measurement(run_id, g1, pid, repo.upsert_candidate(a), ok(1.000e-5));
  repo.insert_measurement(run_id, g1, pid, repo.upsert_candidate(b), ok(1.001e-5));
  repo.recompute_heuristics();
  auto rows = repo.heuristics();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].candidate_key, b.key());
  EXPECT_EQ(rows[0].source, Source::measured);
  // A clearly faster candidate wins outright; the second device makes the row "merged".
  const Candidate c = cand(2048);
  repo.insert_measurement(run_id, g2, pid, repo.upsert_candidate(c), ok(0.8e-5));
  repo.insert_measurement(run_id, g1, pid, repo.upsert_candidate(c), ok(0.81e-5));
  repo.recompute_heuristics();
  rows = repo.heuristics();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].candidate_key, c.key());
  EXPECT_EQ(rows[0].source, Source::merged);
  EXPECT_EQ(rows[0].n_devices, 2);
  EXPECT_DOUBLE_EQ(*rows[0].measured_s, 0.8e-5);
  EXPECT_EQ(rows[0].gpu_uuid.value_or(""), "GPU-2");
}

TEST(Repository, AlreadyMeasuredIsPerGpuAndBuild) {
  TempDir dir;
  Repository repo = Repository::open(dir.file("a.db"), Access::create);
  RunInfo run = Repository::this_process_run("tune", "test");
  run.build_commit = "abc123";
  const auto run_id = repo.begin_run(run);
  const auto g = repo.upsert_gpu(gpu("GPU-1"));
  const Problem p = gemv(4096, 4096);
  const Candidate c = cand(256);
  EXPECT_FALSE(repo.already_measured("GPU-1", p, c, "abc123"));
  Measurement failed;
  failed.status = Status::resource_limit;
  repo.insert_measurement(run_id, g, repo.upsert_problem(p), repo.upsert_candidate(c), failed);
  EXPECT_TRUE(repo.already_measured("GPU-1", p, c, "abc123"));
  EXPECT_FALSE(repo.already_measured("GPU-1", p, c, "def456"));
  EXPECT_FALSE(repo.already_measured("GPU-2", p, c, "abc123"));
  EXPECT_FALSE(repo.already_measured("GPU-1", p, cand(512), "abc123"));
  const auto stored = repo.latest_measurement("GPU-1", p, c, "abc123");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->status, Status::resource_limit);
  EXPECT_FALSE(stored->median_s);
  repo.insert_measurement(run_id, g, repo.upsert_problem(p), repo.upsert_candidate(c), ok(3e-5));
  EXPECT_DOUBLE_EQ(repo.latest_measurement("GPU-1", p, c, "abc123")->median_s.value_or(0), 3e-5);
  EXPECT_FALSE(repo.latest_measurement("GPU-1", p, c, "def456"));
  Ceiling hbm;
  hbm.name = "hbm_bw";
  hbm.value = 3.0e12;
  hbm.unit = "bytes/s";
  hbm.count = 5;
  hbm.measured_at = "2026-01-02T00:00:00.000Z";
  repo.record_ceiling(g, run_id, hbm);
  hbm.value = 3.1e12;
  hbm.measured_at = "2026-01-01T00:00:00.000Z";  // older, inserted later
  repo.record_ceiling(g, run_id, hbm);
  const auto ceilings = repo.ceilings("h100-sxm");
  ASSERT_EQ(ceilings.size(), 2u);
  EXPECT_DOUBLE_EQ(ceilings[0].value, 3.1e12);
  EXPECT_DOUBLE_EQ(ceilings[1].value, 3.0e12);
  EXPECT_TRUE(repo.ceilings("a100-sxm").empty());
  // An ok measurement without a time is refused.
  Measurement bad;
  EXPECT_THROW(repo.insert_measurement(run_id, g, 1, 1, bad), InputError);
}

TEST(Repository, BucketWinnerIsTheBestGeometricMeanOverItsProblems) {
  TempDir dir;
  Repository repo = Repository::open(dir.file("b.db"), Access::create);
  RunInfo run = Repository::this_process_run("tune", "test");
  const auto run_id = repo.begin_run(run);
  const auto g = repo.upsert_gpu(gpu("GPU-1"));
  const auto p1 = repo.upsert_problem(gemv(4096, 4096));
  const auto p2 = repo.upsert_problem(gemv(4000, 4096));  // same bucket m1:n4096:k4096
  const auto a = repo.upsert_candidate(cand(256)), b = repo.upsert_candidate(cand(512));
  const auto c = repo.upsert_candidate(cand(1024));
  repo.insert_measurement(run_id, g, p1, a, ok(1.0e-5));
  repo.insert_measurement(run_id, g, p2, a, ok(1.5e-5));  // a: geomean(1, 1.5) = 1.22
  repo.insert_measurement(run_id, g, p1, b, ok(1.2e-5));
  repo.insert_measurement(run_id, g, p2, b, ok(1.0e-5));  // b: geomean(1.2, 1) = 1.10
  repo.insert_measurement(run_id, g, p1, c, ok(0.5e-5));  // fastest, but only on one problem
  repo.recompute_heuristics();
  const auto rows = repo.heuristics();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].candidate_key, cand(512).key());
  EXPECT_EQ(rows[0].n_problems, 2);
  EXPECT_EQ(rows[0].problem_key, gemv(4000, 4096).key());  // the smaller problem key
  EXPECT_DOUBLE_EQ(rows[0].measured_s.value_or(0), 1.0e-5);
}

TEST(Repository, OkMeasurementsAreTheClassesOkRowsInProblemCandidateOrder) {
  TempDir dir;
  Repository repo = Repository::open(dir.file("a.db"), Access::create);
  RunInfo run = Repository::this_process_run("tune", "test");
  const auto run_id = repo.begin_run(run);
  const auto g1 = repo.upsert_gpu(gpu("GPU-1"));
  const auto g2 = repo.upsert_gpu(gpu("GPU-2"));  // same class as GPU-1
  const auto g3 = repo.upsert_gpu(gpu("GPU-3", "a100-sxm"));
  const Problem p_big = gemv(8192, 4096, 16), p_small = gemv(4096, 4096, 1);
  ASSERT_NE(p_big.key(), p_small.key());
  const auto put = [&](std::int64_t g, const Problem& p, const Candidate& c, Measurement m) {
    repo.insert_measurement(run_id, g, repo.upsert_problem(p), repo.upsert_candidate(c), m);
  };
  put(g1, p_big, cand(512), ok(4e-5));
  put(g2, p_big, cand(256), ok(3e-5));
  put(g1, p_small, cand(256), ok(2e-5));
  put(g1, p_small, cand(256), ok(1e-5));  // later row of the same pair
  Measurement failed;
  failed.status = Status::validation_failed;
  put(g1, p_small, cand(128), failed);
  put(g3, p_small, cand(64), ok(9e-5));  // another class

  const auto rows = repo.ok_measurements("h100-sxm");
  ASSERT_EQ(rows.size(), 4u);
  // Sorted by problem key, then candidate key, then insertion order.
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const auto a = std::make_pair(rows[i - 1].problem.key(), rows[i - 1].candidate_key);
    const auto b = std::make_pair(rows[i].problem.key(), rows[i].candidate_key);
    EXPECT_LE(a, b);
  }
  std::vector<double> small_times;
  for (const auto& r : rows) {
    EXPECT_EQ(r.candidate.key(), r.candidate_key);
    EXPECT_NE(r.candidate_key, cand(128).key());  // failed rows are not ok measurements
    if (r.problem.key() == p_small.key()) {
      EXPECT_EQ(r.problem.m, 1);
      EXPECT_EQ(r.candidate, cand(256));
      small_times.push_back(r.median_s);
    } else {
      EXPECT_EQ(r.problem.key(), p_big.key());
      EXPECT_EQ(r.problem.m, 16);
      EXPECT_DOUBLE_EQ(r.median_s, r.candidate == cand(256) ? 3e-5 : 4e-5);
    }
  }
  EXPECT_EQ(small_times, (std::vector<double>{2e-5, 1e-5}));
  const auto other = repo.ok_measurements("a100-sxm");
  ASSERT_EQ(other.size(), 1u);
  EXPECT_DOUBLE_EQ(other[0].median_s, 9e-5);
  EXPECT_TRUE(repo.ok_measurements("h200").empty());
}
