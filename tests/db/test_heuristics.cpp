// Runtime lookup: exact / nearest / none, loading by class, name or UUID, and loading a shared
// read-only file from a read-only directory.
#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <random>
#include <set>

#include "db/fixture.hpp"
#include "db/heuristics.hpp"
#include "db_test_util.hpp"

using namespace vqt;
using namespace vqt::db;
using namespace vqt::db::test;

namespace {

Problem gemv(std::int64_t n, std::int64_t k, std::int64_t m = 1, const char* vq = "aqlm-3") {
  return Problem::matmul(Op::gemv, parse_vq(vq), m, n, k);
}

HeuristicRow row(const Problem& p, int n_smem) {
  HeuristicRow r;
  r.gpu_key = "h100-sxm";
  r.op = to_string(p.op);
  r.vq_key = p.vq.key();
  const ShapeBucket b = bucket_of(p);
  for (int i = 0; i < kBucketDims; ++i) r.dims[i] = b.dims[i];
  r.bucket = bucket_key(p.op, b);
  r.candidate.n_smem = n_smem;
  r.candidate_key = r.candidate.key();
  r.problem = p;
  r.measured_s = 1e-5;
  return r;
}

std::set<std::string> list_dir(const std::string& d) {
  std::set<std::string> names;
  if (DIR* dp = ::opendir(d.c_str())) {
    while (auto* e = ::readdir(dp)) names.insert(e->d_name);
    ::closedir(dp);
  }
  return names;
}

}  // namespace

TEST(Bucket, RoundsAsDocumented) {
  EXPECT_EQ(pow2_ceil(1), 1);
  EXPECT_EQ(pow2_ceil(3), 4);
  EXPECT_EQ(pow2_ceil(16), 16);
  EXPECT_EQ(pow2_round(11008), 8192);   // log2 = 13.43
  EXPECT_EQ(pow2_round(12288), 16384);  // log2 = 13.58
  EXPECT_EQ(pow2_round(4096), 4096);
  EXPECT_EQ(bucket_key(Op::gemv, bucket_of(gemv(11008, 4096, 3))), "m4:n8192:k4096");
  Problem a;
  a.op = Op::attention_decode;
  a.vq = parse_vq("cq-4");
  a.batch = 5;
  a.q_heads = 32;
  a.kv_heads = 8;
  a.head_dim = 128;
  a.context = 5000;
  EXPECT_EQ(bucket_key(a.op, bucket_of(a)), "b8:hq32:hkv8:d128:ctx4096");
}

TEST(Heuristics, ExactNearestNone) {
  const Problem small = gemv(4096, 4096), big = gemv(16384, 16384);
  Heuristics h = Heuristics::from_rows({row(small, 256), row(big, 1024)});
  EXPECT_EQ(h.size(), 2u);
  auto r = h.lookup(gemv(4000, 4200));  // same bucket as 4096x4096
  EXPECT_EQ(r.source, Heuristics::Source::exact);
  ASSERT_TRUE(r.entry);
  EXPECT_EQ(r.entry->candidate.n_smem, 256);
  r = h.lookup(gemv(16384, 8192));  // distance 1 from big, 2 from small
  EXPECT_EQ(r.source, Heuristics::Source::nearest);
  EXPECT_EQ(r.entry->candidate.n_smem, 1024);
  EXPECT_DOUBLE_EQ(r.distance, 1.0);
  r = h.lookup(gemv(8192, 8192));  // distance 2 from both: the smaller bucket key wins
  EXPECT_EQ(r.source, Heuristics::Source::nearest);
  EXPECT_EQ(r.entry->bucket_key, "m1:n16384:k16384");
  EXPECT_EQ(h.lookup(gemv(4096, 4096, 1, "aqlm-2x8")).source, Heuristics::Source::none);
  Problem g = small;
  g.op = Op::gemm;
  g.m = 64;
  EXPECT_EQ(h.lookup(g).source, Heuristics::Source::none);
  EXPECT_EQ(h.lookup(g).entry, nullptr);
}

TEST(Heuristics, LoadsOneGpuFromTheFixture) {
  TempDir dir;
  const std::string f = dir.file("fix.db");
  std::vector<HeuristicRow> rows;
  {
    Repository repo = Repository::open(f, Access::create);
    fill_demo_fixture(repo);
    rows = repo.heuristics("h100-sxm");
  }
  ASSERT_FALSE(rows.empty());
  for (const std::string& selector : {std::string("h100-sxm"), std::string("NVIDIA H100 80GB HBM3"),
                                      std::string("GPU-demo-h100-0000")}) {
    Heuristics h = Heuristics::load(f, selector);
    EXPECT_EQ(h.gpu_key(), "h100-sxm");
    EXPECT_EQ(h.size(), rows.size()) << selector;
    for (const auto& r : rows) {
      auto res = h.lookup(r.problem);
      EXPECT_EQ(res.source, Heuristics::Source::exact);
      ASSERT_TRUE(res.entry);
      EXPECT_EQ(res.entry->candidate_key, r.candidate_key);
    }
  }
  EXPECT_EQ(Heuristics::load(f, "no-such-gpu").size(), 0u);
}

TEST(Heuristics, LoadsASharedReadOnlyFile) {
  TempDir dir;
  const std::string sub = dir.file("shared");
  ASSERT_EQ(::mkdir(sub.c_str(), 0755), 0);
  const std::string f = sub + "/heuristics.db";
  std::size_t n_rows = 0;
  {
    Repository repo = Repository::open(f, Access::create);
    fill_demo_fixture(repo);
    n_rows = repo.heuristics("a100-sxm").size();
  }
  ASSERT_FALSE(has_side_files(f));  // the last connection checkpointed and removed the WAL
  ASSERT_EQ(::chmod(f.c_str(), 0444), 0);
  ASSERT_EQ(::chmod(sub.c_str(), 0555), 0);
  const auto before = list_dir(sub);
  const auto h = hash_file(f);
  Heuristics heur = Heuristics::load(f, "a100-sxm");
  EXPECT_EQ(heur.size(), n_rows);
  EXPECT_GT(n_rows, 0u);
  EXPECT_EQ(list_dir(sub), before) << "loading created files in a read-only directory";
  EXPECT_EQ(hash_file(f), h);
  ::chmod(sub.c_str(), 0755);
}

TEST(Heuristics, NearestMatchesBruteForceOnRandomTables) {
  std::mt19937_64 rng(std::random_device{}());
  auto pow2 = [&](int lo, int hi) { return std::int64_t{1} << (lo + int(rng() % (hi - lo + 1))); };
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<HeuristicRow> rows;
    std::set<std::string> seen;
    for (int i = 0; i < 60; ++i) {
      Problem p;
      p.op = Op::attention_decode;
      p.vq = parse_vq("cq-4");
      p.batch = pow2(0, 6);
      p.kv_heads = 8;
      p.q_heads = 8 * (1 + std::int64_t(rng() % 8));  // not always a power of two
      p.head_dim = 128;
      p.context = pow2(9, 17);
      HeuristicRow r = row(p, int(i));
      if (seen.insert(r.bucket).second) rows.push_back(r);
    }
    const Heuristics h = Heuristics::from_rows(rows);
    for (int q = 0; q < 50; ++q) {
      Problem p = rows[0].problem;
      p.batch = 1 + std::int64_t(rng() % 100);
      p.q_heads = 8 * (1 + std::int64_t(rng() % 12));
      p.context = 100 + std::int64_t(rng() % 300000);
      const auto res = h.lookup(p);
      ASSERT_NE(res.source, Heuristics::Source::none);
      const ShapeBucket want = bucket_of(p);
      double best = 1e30;
      for (const auto& r : rows) {
        ShapeBucket b;
        for (int i = 0; i < kBucketDims; ++i) b.dims[i] = r.dims[i];
        best = std::min(best, bucket_distance(b, want));
      }
      EXPECT_NEAR(bucket_distance(res.entry->bucket, want), best, 1e-3);
      EXPECT_NEAR(res.distance, best, 1e-3);
      EXPECT_EQ(res.source == Heuristics::Source::exact, best == 0.0);
    }
  }
}
