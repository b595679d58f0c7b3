// cpu tier: what `vqtune tune --op gemv,gemm,attention` tunes (op lists, per-op problem sets and
// their errors), the op router with fake measurers in the tune loop (search spaces of their own,
// resume, winners per op in the heuristics), and the shared validation helpers of the GEMM and
// attention measurers (tuner/validate.hpp).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <set>

#include "db/heuristics.hpp"
#include "db/repository.hpp"
#include "model/cost_model.hpp"
#include "tuner/op_suite.hpp"
#include "tuner/validate.hpp"
#include "vq/error.hpp"
#include "vq/half.hpp"
#include "vq/reference.hpp"

using namespace vqt;
using namespace vqt::tuner;

namespace {

std::size_t count_op(const std::vector<Problem>& ps, Op op) {
  std::size_t n = 0;
  for (const auto& p : ps) n += p.op == op;
  return n;
}

}  // namespace

TEST(OpSuite, ParsesOpLists) {
  EXPECT_EQ(parse_op_list("gemv,gemm,attention"),
            (std::vector<Op>{Op::gemv, Op::gemm, Op::attention_decode}));
  EXPECT_EQ(parse_op_list("attention_decode,gemv,gemv"),
            (std::vector<Op>{Op::attention_decode, Op::gemv}));
  EXPECT_THROW(parse_op_list("gemv,conv"), InputError);
  EXPECT_THROW(parse_op_list(""), InputError);
  EXPECT_THROW(parse_op_list(","), InputError);
  try {
    parse_op_list("offload_decode");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("--op"), std::string::npos) << e.what();
  }
  EXPECT_EQ(parse_int_list("512,2048", "--tokens", 32), (std::vector<std::int64_t>{512, 2048}));
  EXPECT_THROW(parse_int_list("16", "--tokens", 32), InputError);
  EXPECT_THROW(parse_int_list("4k", "--context"), InputError);
  EXPECT_THROW(parse_int_list("", "--context"), InputError);
  EXPECT_THROW(parse_int_list("0", "--batch"), InputError);
}

TEST(OpSuite, Llama7bDefaultSuite) {
  TuneSetSpec spec;
  spec.models = {"llama-7b"};
  const auto ps = tune_problem_set(spec);
  // gemv: 5 presets x 4 layer shapes x batch 1, 16; gemm: 5 x 4 at 512 tokens; attention: cq-4,
  // cq-2 x batch 1, 16 at 4096 tokens.
  EXPECT_EQ(count_op(ps, Op::gemv), 40u);
  EXPECT_EQ(count_op(ps, Op::gemm), 20u);
  EXPECT_EQ(count_op(ps, Op::attention_decode), 4u);
  EXPECT_EQ(ps.size(), 64u);
  std::set<std::string> keys;
  for (const auto& p : ps) {
    keys.insert(p.key());
    if (p.op == Op::gemm) {
      EXPECT_EQ(p.m, 512);
    }
    if (p.op == Op::attention_decode) {
      EXPECT_EQ(p.q_heads, 32);
      EXPECT_EQ(p.kv_heads, 32);
      EXPECT_EQ(p.head_dim, 128);
      EXPECT_EQ(p.context, 4096);
      EXPECT_EQ(p.vq.scope, Scope::per_head_group);
    }
  }
  EXPECT_EQ(keys.size(), ps.size());
  EXPECT_TRUE(std::is_sorted(ps.begin(), ps.end(),
                             [](const Problem& a, const Problem& b) { return a.key() < b.key(); }));
}

TEST(OpSuite, GqaContextsTokensAndSingleShapes) {
  TuneSetSpec spec;
  spec.models = {"llama-3-8b"};
  spec.ops = {Op::attention_decode, Op::gemm};
  spec.kv_vq = {"cq-2"};
  spec.weight_vq = {"aqlm-3"};
  spec.batches = {8};
  spec.tokens = {128, 2048};
  spec.contexts = {1024, 8192};
  const auto ps = tune_problem_set(spec);
  EXPECT_EQ(count_op(ps, Op::attention_decode), 2u);
  EXPECT_EQ(count_op(ps, Op::gemm), 8u);
  for (const auto& p : ps)
    if (p.op == Op::attention_decode) {
      EXPECT_EQ(p.kv_heads, 8);
      EXPECT_EQ(p.batch, 8);
      EXPECT_TRUE(p.context == 1024 || p.context == 8192);
    }

  TuneSetSpec one;
  one.ops = {Op::gemv, Op::gemm};
  one.weight_vq = {"aqlm-3"};
  one.n = 4096;
  one.k = 4096;
  const auto ps1 = tune_problem_set(one);
  EXPECT_EQ(count_op(ps1, Op::gemv), 2u);  // batch 1, 16
  EXPECT_EQ(count_op(ps1, Op::gemm), 1u);  // 512 tokens
}

TEST(OpSuite, RefusesWhatCannotBeBuilt) {
  TuneSetSpec spec;
  spec.models = {"llama-7b"};
  auto expect_flag = [](const TuneSetSpec& s, const std::string& flag) {
    try {
      tune_problem_set(s);
      ADD_FAILURE() << "no error, expected one naming " << flag;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(flag), std::string::npos) << e.what();
    }
  };
  TuneSetSpec kv_as_weights = spec;
  kv_as_weights.weight_vq = {"cq-4"};
  expect_flag(kv_as_weights, "--vq");
  TuneSetSpec weights_as_kv = spec;
  weights_as_kv.kv_vq = {"aqlm-3"};
  expect_flag(weights_as_kv, "--kv");
  TuneSetSpec big_batch = spec;
  big_batch.batches = {32};
  expect_flag(big_batch, "--batch");
  TuneSetSpec few_tokens = spec;
  few_tokens.tokens = {16};
  expect_flag(few_tokens, "--tokens");
  TuneSetSpec no_model;
  no_model.ops = {Op::attention_decode};
  expect_flag(no_model, "--model");
  TuneSetSpec no_shape;
  no_shape.ops = {Op::gemm};
  expect_flag(no_shape, "--n");
  TuneSetSpec bad_model = spec;
  bad_model.models = {"llama-9b"};
  expect_flag(bad_model, "--model");
}

namespace {

// A fake kernel family: its own space (`n` candidates with distinct thread counts), times from
// the candidate, one planted validation failure.
class FakeFamily : public Measurer {
 public:
  explicit FakeFamily(Op op, int n) : op_(op), n_(n) {}
  int prepared = 0, measured = 0;
  db::Timer timer() const override { return db::Timer::cupti; }
  std::vector<double> prepare(const Problem& p, std::string* source) override {
    EXPECT_EQ(p.op, op_);
    ++prepared;
    *source = "zipf:1";
    return zipf_sorted_cdf(p.vq.stored_entries(), 1.0);
  }
  std::vector<Candidate> search_space(const Problem& p) const override {
    std::vector<Candidate> out;
    for (int i = 0; i < n_; ++i) {
      Candidate c;
      c.threads = 32 * (i + 1);
      c.n_smem = std::int32_t(p.vq.stored_entries());
      if (p.op == Op::attention_decode) {
        c.tile_m = 1;
        c.tile_k = std::int32_t(p.head_dim);
        c.split_k = 1 + i % 4;
      } else {
        c.tile_m = 64;
        c.tile_k = 128;
      }
      out.push_back(c);
    }
    return out;
  }
  TrialResult measure(const Candidate& c) override {
    ++measured;
    TrialResult t;
    t.candidate = c;
    if (c.threads == 64) {
      t.status = db::Status::validation_failed;
      t.detail = "planted";
      return t;
    }
    t.median_s = t.min_s = t.max_s = 1e-6 * (1000.0 - c.threads);
    t.count = 10;
    return t;
  }

 private:
  Op op_;
  int n_;
};

struct TempDb {
  std::string path;
  TempDb() {
    path = (std::filesystem::temp_directory_path() /
            ("vqt_op_suite_" + std::to_string(::getpid()) + ".db"))
               .string();
    std::filesystem::remove(path);
  }
  ~TempDb() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  }
};

}  // namespace

TEST(OpRouterLoop, RoutesEachOpToItsFamilyResumesAndStoresWinners) {
  TuneSetSpec spec;
  spec.models = {"llama-7b"};
  spec.weight_vq = {"aqlm-2x8"};
  spec.kv_vq = {"cq-4"};
  spec.batches = {1};
  const auto problems = tune_problem_set(spec);  // 4 gemv, 4 gemm, 1 attention
  ASSERT_EQ(problems.size(), 9u);
  FakeFamily gemv(Op::gemv, 6), gemm(Op::gemm, 6), att(Op::attention_decode, 6);
  OpRouter router;
  router.add(Op::gemv, &gemv);
  router.add(Op::gemm, &gemm);
  router.add(Op::attention_decode, &att);

  TempDb tmp;
  auto repo = db::Repository::open(tmp.path, db::Access::create);
  TuneSettings s;
  s.spec = find_gpu("h100-sxm");
  s.strategy = "exhaustive";
  s.repo = &repo;
  s.gpu = {"GPU-test", "Test GPU", 9, 0, "580", "13.0", "h100-sxm"};
  db::RunInfo run = db::Repository::this_process_run("tune", "test");
  s.build_commit = run.build_commit;
  s.run_id = repo.begin_run(run);
  const TuneRunOutcome out = tune_problems(problems, router, s);
  ASSERT_EQ(out.problems.size(), 9u);
  for (const auto& po : out.problems) {
    if (po.problem.op == Op::gemv) continue;  // the gemv fake's space is not the GEMV kernel's
    EXPECT_EQ(po.enumerated, 6u) << po.problem.key();  // exactly the family's space
    EXPECT_EQ(po.trials.size(), 6u);
    ASSERT_TRUE(po.winner.has_value());
    EXPECT_EQ(po.trials[*po.winner].candidate.threads, 192) << po.problem.key();
    int failed = 0;
    for (const auto& t : po.trials) failed += t.status == db::Status::validation_failed;
    EXPECT_EQ(failed, 1);
  }
  EXPECT_EQ(gemm.measured, 4 * 6);
  EXPECT_EQ(att.measured, 6);
  EXPECT_GE(out.heuristics_rows, 9);

  // The winners per op are what the runtime lookup finds.
  const db::Heuristics h = db::Heuristics::load(tmp.path, "h100-sxm");
  for (const auto& p : problems) {
    const auto r = h.lookup(p);
    ASSERT_EQ(r.source, db::Heuristics::Source::exact) << p.key();
    if (p.op != Op::gemv) {
      EXPECT_EQ(r.entry->candidate.threads, 192) << p.key();
    }
  }

  // A rerun on the same file times nothing.
  const int before = gemm.measured + att.measured + gemv.measured;
  db::RunInfo rerun = db::Repository::this_process_run("tune", "rerun");
  s.run_id = repo.begin_run(rerun);
  const TuneRunOutcome again = tune_problems(problems, router, s);
  EXPECT_EQ(gemm.measured + att.measured + gemv.measured, before);
  for (const auto& po : again.problems) EXPECT_EQ(po.resumed, po.trials.size());

  OpRouter partial;
  partial.add(Op::gemv, &gemv);
  std::string src;
  EXPECT_THROW(
      partial.prepare(problems.front().op == Op::gemv ? problems.back() : problems.front(), &src),
      InputError);
}

TEST(Validate, FastCqAttentionReferenceMatchesTheVqReference) {
  for (const char* kvp : {"cq-4", "cq-2"}) {
    const VqConfig cq = parse_vq(kvp);
    const auto cdf = zipf_sorted_cdf(256, 1.0);
    const KvCacheVq kv = zipf_kv_cache(cq, 2, 2, 77, 128, cdf, 5);
    std::vector<float> q;
    std::vector<std::uint16_t> qh;
    random_halves(std::size_t(2 * 4 * 128), 9, q, qh);  // 4 query heads over 2 KV heads
    const double scale = 1.0 / std::sqrt(128.0);
    const auto fast = reference_cq_attention(q.data(), 4, kv, scale);
    const auto slow = reference_attention_decode(q.data(), 4, kv, scale);
    ASSERT_EQ(fast.size(), slow.size());
    double worst = 0;
    for (std::size_t i = 0; i < fast.size(); ++i)
      worst = std::max(worst, std::fabs(fast[i] - slow[i]));
    EXPECT_LT(worst, 1e-12) << kvp;
  }
}

TEST(Validate, DataIsDeterministicAndFollowsTheLaw) {
  const VqConfig aqlm = parse_vq("aqlm-2x8");
  const auto cdf = zipf_sorted_cdf(256, 1.0);
  const VqTensor a = zipf_weights(aqlm, 256, 4096, cdf, 3);
  const VqTensor b = zipf_weights(aqlm, 256, 4096, cdf, 3);
  const VqTensor c = zipf_weights(aqlm, 256, 4096, cdf, 4);
  EXPECT_EQ(a.codes, b.codes);
  EXPECT_EQ(a.codebooks, b.codebooks);
  EXPECT_NE(a.codes, c.codes);
  // Zipf(1) over 256 entries: index 0 is drawn about 1 / H(256) = 16 % of the time.
  std::size_t zeros = 0;
  for (auto x : a.codes) zeros += x == 0;
  EXPECT_NEAR(double(zeros) / double(a.codes.size()), cdf[0], 0.01);
  std::vector<float> x1, x2;
  std::vector<std::uint16_t> h1, h2;
  random_halves(100000, 8, x1, h1);
  random_halves(100000, 8, x2, h2);
  EXPECT_EQ(h1, h2);
  for (std::size_t i = 0; i < x1.size(); ++i) ASSERT_EQ(half_bits_to_float(h1[i]), x1[i]);
}

TEST(Validate, OutputCheckAndSampledTokens) {
  std::vector<double> ref = {1.0, -2.0, 0.5};
  std::vector<std::uint16_t> y = {float_to_half_bits(1.0f), float_to_half_bits(-2.0f),
                                  float_to_half_bits(0.5f)};
  EXPECT_TRUE(check_half_output(y.data(), ref, 1e-3).ok);
  y[1] = float_to_half_bits(2.0f);
  OutputCheck bad = check_half_output(y.data(), ref, 1e-3);
  EXPECT_FALSE(bad.ok);
  EXPECT_NE(bad.detail.find("relative L2 error"), std::string::npos);
  y[1] = 0xFFFF;  // NaN: the poison
  bad = check_half_output(y.data(), ref, 1e9);
  EXPECT_FALSE(bad.ok);
  EXPECT_FALSE(bad.finite);
  // Through an index: ref[i] against y[idx[i]].
  std::vector<std::uint16_t> y2 = {0xFFFF, float_to_half_bits(0.5f), float_to_half_bits(1.0f)};
  std::vector<double> ref2 = {1.0, 0.5};
  EXPECT_TRUE(check_half_output(y2.data(), ref2, 1e-3, {2, 1}).ok);

  const auto t = sampled_tokens(512, 16);
  ASSERT_EQ(t.size(), 16u);
  EXPECT_EQ(t.back(), 511);
  for (std::size_t i = 0; i + 1 < t.size(); ++i) EXPECT_EQ(t[i] / 32, std::int64_t(i));
  EXPECT_EQ(sampled_tokens(5, 16), (std::vector<std::int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(sampled_tokens(37, 16).back(), 36);
}
