// gpu tier: the runtime dispatch of the VQ GEMM and of decode attention runs the winner stored in
// the database (not the model's pick), falls back to the model over the kernels' own spaces for
// a problem the database does not know, and the stored winner computes the right result.
#include <gtest/gtest.h>

#include <cublas_v2.h>

#include <filesystem>

#include "kernels/attention_space.hpp"
#include "kernels/device_tensor.hpp"
#include "kernels/gemm_attention_candidate.hpp"
#include "kernels/gemm_space.hpp"
#include "kernels/vq_device_layout.hpp"
#include "kernels/vq_gemv.hpp"
#include "model/cost_model.hpp"
#include "model/enumerate.hpp"
#include "profiler/ceilings.hpp"
#include "tuner/attention_measurer.hpp"
#include "tuner/ceilings_store.hpp"
#include "tuner/gemm_measurer.hpp"
#include "tuner/runtime.hpp"
#include "tuner/validate.hpp"
#include "vq/reference.hpp"

using namespace vqt;

namespace {

struct Fixture {
  std::string spec_key, path;
  profiler::DeviceInfo info;
  bool skip = false;
  std::string why;
  Fixture() {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess || n == 0) {
      skip = true;
      why = "no CUDA device";
      return;
    }
    info = profiler::device_info(0);
    spec_key = tuner::detect_spec_key(info.cc_major, info.cc_minor, info.sm_count,
                                      std::int64_t(info.global_mem_bytes));
    if (spec_key.empty()) {
      skip = true;
      why = "no built-in spec for " + info.name;
      return;
    }
    path = (std::filesystem::temp_directory_path() /
            ("vqt_runtime_ops_" + std::to_string(::getpid()) + ".db"))
               .string();
    std::filesystem::remove(path);
  }
  ~Fixture() {
    if (!path.empty())
      for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path + s);
  }
  // Stores `winner` 10 us and `loser` 20 us for p, then recomputes the heuristics.
  void store(const Problem& p, const Candidate& winner, const Candidate& loser) {
    auto repo = db::Repository::open(path, db::Access::create);
    db::GpuRecord gpu{info.uuid,   info.name,         info.cc_major, info.cc_minor,
                      info.driver, info.cuda_version, spec_key};
    const auto gpu_id = repo.upsert_gpu(gpu);
    db::RunInfo run = db::Repository::this_process_run("tune", "test");
    const auto run_id = repo.begin_run(run);
    tuner::TrialResult fast, slow;
    fast.candidate = winner;
    fast.median_s = fast.min_s = fast.max_s = 10e-6;
    fast.count = 10;
    slow.candidate = loser;
    slow.median_s = slow.min_s = slow.max_s = 20e-6;
    slow.count = 10;
    tuner::record_trial(repo, run_id, gpu_id, p, fast, db::Timer::cupti);
    tuner::record_trial(repo, run_id, gpu_id, p, slow, db::Timer::cupti);
    repo.finish_run(run_id);
    ASSERT_GE(repo.recompute_heuristics(), 1);
  }
  // The kernels' space in the model's order, implementable ones only.
  std::vector<Candidate> ranked(const Problem& p, const std::vector<Candidate>& space,
                                const std::function<bool(const Candidate&)>& ok) const {
    const PreparedProblem prep = prepare(p, find_gpu(spec_key), ModelCoefficients{},
                                         zipf_sorted_cdf(p.vq.stored_entries(), 1.0), "zipf");
    std::vector<Candidate> out;
    for (const auto& r : rank_given_candidates(prep, space))
      if (ok(r.candidate)) out.push_back(r.candidate);
    return out;
  }
};

}  // namespace

TEST(Runtime, StoredGemmWinnerIsWhatRuns) {
  Fixture fx;
  if (fx.skip) GTEST_SKIP() << fx.why;
  const Problem p = Problem::matmul(Op::gemm, parse_vq("aqlm-2x8"), 128, 2048, 2048);
  const GemvFormat f = gemm_format_of(p);
  const GemvDevice dev = gemv_device(0);
  const auto ok = fx.ranked(p, gemm_space_candidates(p), [&](const Candidate& c) {
    return can_implement_gemm(f, p.m, gemm_params_from(c), dev).empty();
  });
  ASSERT_GE(ok.size(), 6u);
  const Candidate stored = ok[5];  // not the model's top-1
  fx.store(p, stored, ok[0]);

  Runtime rt(fx.path, 0);
  const Runtime::GemmChoice c = rt.choose_gemm(p);
  EXPECT_EQ(c.source, Runtime::Source::exact);
  EXPECT_EQ(c.candidate, stored) << c.candidate.key() << " vs " << stored.key();
  EXPECT_EQ(c.params.key(), gemm_params_from(stored).key());

  // A problem the database does not hold: the model's best of the kernel's own space.
  Problem q = p;
  q.vq = parse_vq("gptvq-2");
  const Runtime::GemmChoice m = rt.choose_gemm(q);
  EXPECT_EQ(m.source, Runtime::Source::model);
  const auto okq = fx.ranked(q, gemm_space_candidates(q), [&](const Candidate& cand) {
    return can_implement_gemm(gemm_format_of(q), q.m, gemm_params_from(cand), dev).empty();
  });
  ASSERT_FALSE(okq.empty());
  EXPECT_EQ(m.candidate, okq.front());
  EXPECT_THROW(rt.choose_gemm(Problem::matmul(Op::gemv, p.vq, 1, 2048, 2048)), InputError);

  // Runtime::gemm runs the stored winner and computes y = x W^T (fp64 reference).
  const auto cdf = zipf_sorted_cdf(p.vq.stored_entries(), 1.0);
  const VqTensor w = tuner::zipf_weights(p.vq, p.n, p.k, cdf, 11);
  std::vector<float> xf;
  std::vector<std::uint16_t> xh;
  tuner::random_halves(std::size_t(p.m * p.k), 12, xf, xh);
  const std::vector<double> ref = reference_gemm(w, xf.data(), p.m);
  const GemvHostPack pack = pack_for_gemv(w);
  DeviceBuffer<std::uint8_t> lo(pack.lo), hi(pack.hi);
  DeviceBuffer<std::uint16_t> cb(pack.codebooks), x(xh), y(std::size_t(p.m * p.n));
  DeviceBuffer<std::uint8_t> ws(
      std::max<std::size_t>(16, gemm_workspace_bytes(pack.format, p.m, c.params)));
  ws.fill_bytes(0);
  cublasHandle_t h = nullptr;
  ASSERT_EQ(cublasCreate(&h), CUBLAS_STATUS_SUCCESS);
  VqGemmArgs a;
  a.format = pack.format;
  a.codes_lo = lo.get();
  a.codes_hi = pack.hi.empty() ? nullptr : hi.get();
  a.codebooks = cb.get();
  a.x = x.get();
  a.y = y.get();
  a.m = p.m;
  a.workspace = ws.get();
  a.workspace_bytes = ws.bytes();
  a.cublas = h;
  y.fill_bytes(0xFF);
  Runtime::GemmChoice used;
  ASSERT_EQ(rt.gemm(p, a, nullptr, &used), cudaSuccess);
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  EXPECT_EQ(used.candidate, stored);
  const auto out = y.download();
  const tuner::OutputCheck chk = tuner::check_half_output(out.data(), ref, 1e-2);
  EXPECT_TRUE(chk.ok) << chk.detail;
  cublasDestroy(h);
}

TEST(Runtime, StoredAttentionWinnerIsWhatRuns) {
  Fixture fx;
  if (fx.skip) GTEST_SKIP() << fx.why;
  if (fx.info.cc_major < 9) GTEST_SKIP() << "the CQ attention kernels are built for sm_90";
  const Problem p = Problem::attention(parse_vq("cq-2"), 4, 32, 8, 128, 2048);
  const AttentionShape s = attention_shape_of(p);
  const auto ok = fx.ranked(p, attention_space_candidates(p), [&](const Candidate& c) {
    return bool(can_implement_attention(s, attention_params_from(c)));
  });
  ASSERT_GE(ok.size(), 4u);
  const Candidate stored = ok[3];
  fx.store(p, stored, ok[0]);
  Runtime rt(fx.path, 0);
  const Runtime::AttentionChoice c = rt.choose_attention(p);
  EXPECT_EQ(c.source, Runtime::Source::exact);
  EXPECT_EQ(c.candidate, stored);
  EXPECT_EQ(c.params.key(), attention_params_from(stored).key());
  Problem q = p;
  q.vq = parse_vq("cq-4");
  EXPECT_EQ(rt.choose_attention(q).source, Runtime::Source::model);
  // The stored winner's kernel is correct on this shape (the measurer checks it).
  profiler::Profiler prof;
  profiler::ConvergenceRule rule;
  rule.max_time_s = 0.1;
  tuner::AttentionMeasurer meas(prof, rule, 3);
  std::string src;
  meas.prepare(p, &src);
  const tuner::TrialResult t = meas.measure(c.candidate);
  EXPECT_EQ(t.status, db::Status::ok) << t.detail;
}
