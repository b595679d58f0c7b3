// gpu tier: the GEMM and decode-attention measurers validate and time real candidates of their
// kernels' own search spaces in the tune loop; a planted wrong reference fails validation; a
// candidate the device cannot run is a resource_limit, not a crash.
#include <gtest/gtest.h>

#include "kernels/attention_space.hpp"
#include "kernels/gemm_attention_candidate.hpp"
#include "kernels/gemm_space.hpp"
#include "model/gpu_spec.hpp"
#include "tuner/attention_measurer.hpp"
#include "tuner/gemm_measurer.hpp"

using namespace vqt;
using namespace vqt::tuner;

namespace {
bool have_gpu() {
  int n = 0;
  return cudaGetDeviceCount(&n) == cudaSuccess && n > 0;
}
bool sm90() {
  cudaDeviceProp prop{};
  return cudaGetDeviceProperties(&prop, 0) == cudaSuccess && prop.major >= 9;
}
profiler::ConvergenceRule quick() {
  profiler::ConvergenceRule r;
  r.max_time_s = 0.2;
  return r;
}
// The whole search space, ranked for the H100.
TuneSettings exhaustive_on_h100() {
  TuneSettings s;
  s.spec = find_gpu("h100-sxm");
  s.strategy = "exhaustive";
  return s;
}
profiler::ProfilerOptions with_data_sets(int n) {
  profiler::ProfilerOptions opt;
  opt.data_sets = n;
  return opt;
}
}  // namespace

TEST(GemmMeasurer, TopCandidatesValidateAndTime) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device";
  profiler::Profiler prof;
  GemmMeasurer m(prof, quick(), 7);
  TuneSettings s;
  s.spec = find_gpu("h100-sxm");
  for (const char* vq : {"aqlm-2x8", "quip#-4", "aqlm-3", "gptvq-2", "aqlm-1x16"}) {
    const Problem p = Problem::matmul(Op::gemm, parse_vq(vq), 100, 1024, 1024);  // a token tail
    const auto out = tune_problem(p, m, s);
    EXPECT_EQ(out.enumerated, gemm_space(p).size()) << vq;  // the kernel's own space
    ASSERT_EQ(out.trials.size(), 10u) << vq;
    int ok = 0;
    for (const auto& t : out.trials) {
      EXPECT_NE(t.status, db::Status::validation_failed)
          << vq << " " << gemm_params_from(t.candidate).key() << ": " << t.detail;
      if (t.status == db::Status::ok) {
        ++ok;
        EXPECT_GT(t.median_s, 1e-6);
        EXPECT_LT(t.median_s, 5e-3);
        EXPECT_GE(t.count, 10);
      }
    }
    EXPECT_GE(ok, 8) << vq;
    EXPECT_TRUE(out.winner.has_value()) << vq;
  }
}

// Two copies of the data (profiler.hpp: data sets): every candidate of the space, split-k ones
// with their arrival counters in each copy's workspace, validates on both and has both medians;
// a wrong reference fails.
TEST(GemmMeasurer, EveryDataSetValidatesAndIsTimed) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device";
  profiler::Profiler prof(with_data_sets(2));
  GemmMeasurer m(prof, quick(), 7);
  const TuneSettings s = exhaustive_on_h100();
  const Problem p = Problem::matmul(Op::gemm, parse_vq("aqlm-3"), 64, 1024, 2048);
  const auto out = tune_problem(p, m, s);
  int ok = 0, split = 0;
  for (const auto& t : out.trials) {
    EXPECT_NE(t.status, db::Status::validation_failed)
        << gemm_params_from(t.candidate).key() << ": " << t.detail;
    if (t.status != db::Status::ok) continue;
    ++ok;
    split += gemm_params_from(t.candidate).split_k > 1;
    EXPECT_EQ(t.set_median_s.size(), 2u);
  }
  EXPECT_GE(ok, 8);
  EXPECT_GE(split, 1);
  m.perturb_reference(1.05);
  const TrialResult bad = m.measure(out.trials[*out.winner].candidate);
  EXPECT_EQ(bad.status, db::Status::validation_failed) << bad.detail;
}

TEST(AttentionMeasurer, EveryDataSetValidatesAndIsTimed) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device";
  if (!sm90()) GTEST_SKIP() << "the CQ attention kernels are built for sm_90";
  profiler::Profiler prof(with_data_sets(2));
  AttentionMeasurer m(prof, quick(), 5);
  const TuneSettings s = exhaustive_on_h100();
  const Problem p = Problem::attention(parse_vq("cq-2"), 2, 32, 8, 128, 1000);
  const auto out = tune_problem(p, m, s);
  ASSERT_GE(out.trials.size(), 8u);
  for (const auto& t : out.trials) {
    EXPECT_EQ(t.status, db::Status::ok)
        << attention_params_from(t.candidate).key() << ": " << t.detail;
    EXPECT_EQ(t.set_median_s.size(), 2u);
  }
}

TEST(GemmMeasurer, WrongReferenceFailsValidationAndRefusalsAreResourceLimits) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device";
  profiler::Profiler prof;
  GemmMeasurer m(prof, quick(), 7);
  const Problem p = Problem::matmul(Op::gemm, parse_vq("aqlm-3"), 64, 1024, 2048);
  std::string src;
  m.prepare(p, &src);
  const std::vector<Candidate> space = m.search_space(p);
  ASSERT_FALSE(space.empty());
  const Candidate& good = space.front();  // unfused: runs everywhere
  EXPECT_EQ(m.measure(good).status, db::Status::ok);
  m.perturb_reference(1.05);  // 5 % off: far above fp16 rounding
  const TrialResult bad = m.measure(good);
  EXPECT_EQ(bad.status, db::Status::validation_failed) << bad.detail;
  EXPECT_NE(bad.detail.find("relative L2 error"), std::string::npos) << bad.detail;

  GemmParams huge;  // 4 x 64-token x stages + a 128 KiB codebook: over any GPU's shared memory
  huge.warps = 8;
  huge.k_groups = 4;
  huge.tile_m = 64;
  huge.codebook_smem = true;
  huge.smem_copies = 2;
  const TrialResult r = m.measure(candidate_from(huge, p));
  EXPECT_EQ(r.status, db::Status::resource_limit) << r.detail;
  EXPECT_FALSE(m.implementable(candidate_from(huge, p)));
}

TEST(AttentionMeasurer, SpaceValidatesAndTimesGqaAndTails) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device";
  if (!sm90()) GTEST_SKIP() << "the CQ attention kernels are built for sm_90";
  profiler::Profiler prof;
  AttentionMeasurer m(prof, quick(), 5);
  const TuneSettings s = exhaustive_on_h100();
  for (const char* kv : {"cq-4", "cq-2"})
    for (std::int64_t ctx : {1000, 4096}) {
      const Problem p = Problem::attention(parse_vq(kv), 2, 32, 8, 128, ctx);
      const auto out = tune_problem(p, m, s);
      EXPECT_EQ(out.enumerated, attention_space(p).size());
      ASSERT_GE(out.trials.size(), 8u);
      for (const auto& t : out.trials) {
        EXPECT_EQ(t.status, db::Status::ok)
            << kv << " ctx " << ctx << " " << attention_params_from(t.candidate).key() << ": "
            << t.detail;
        if (t.status == db::Status::ok) {
          EXPECT_LT(t.median_s, 5e-3);
        }
      }
      EXPECT_TRUE(out.winner.has_value());
    }
}

TEST(AttentionMeasurer, WrongReferenceFailsValidation) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device";
  if (!sm90()) GTEST_SKIP() << "the CQ attention kernels are built for sm_90";
  profiler::Profiler prof;
  AttentionMeasurer m(prof, quick(), 5);
  const Problem p = Problem::attention(parse_vq("cq-4"), 1, 32, 32, 128, 2048);
  std::string src;
  m.prepare(p, &src);
  const Candidate c = m.search_space(p).front();
  EXPECT_EQ(m.measure(c).status, db::Status::ok);
  m.perturb_reference(-1.0);
  const TrialResult bad = m.measure(c);
  EXPECT_EQ(bad.status, db::Status::validation_failed) << bad.detail;
  AttentionParams odd;
  odd.threads = 384;  // not 256 or 512
  const TrialResult r = m.measure(candidate_from(odd, p));
  EXPECT_EQ(r.status, db::Status::resource_limit) << r.detail;
}

// launch_fn (what `vqtune profile` counts) runs the launch measure() times: repeated launches of
// a split candidate succeed and leave its workspace as measure() expects (the next measure() of
// the same candidate still validates); a candidate the device refuses throws InputError.
TEST(GemmMeasurer, LaunchFnRunsTheTimedLaunch) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device";
  profiler::Profiler prof;
  GemmMeasurer m(prof, quick(), 7);
  const Problem p = Problem::matmul(Op::gemm, parse_vq("aqlm-2x8"), 64, 1024, 2048);
  std::string src;
  EXPECT_THROW(m.launch_fn(m.search_space(p).front()), Error);  // before prepare
  m.prepare(p, &src);
  int tried = 0;
  for (const Candidate& c : m.search_space(p)) {
    const GemmParams gp = gemm_params_from(c);
    if (!m.implementable(c) || (gp.strategy != GemmStrategy::unfused && gp.split_k < 2)) continue;
    const profiler::LaunchFn launch = m.launch_fn(c);  // first use builds the data
    for (int i = 0; i < 3; ++i) ASSERT_EQ(launch(nullptr), cudaSuccess) << c.key();
    ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess) << c.key();
    const TrialResult t = m.measure(c);
    EXPECT_EQ(t.status, db::Status::ok) << gp.key() << ": " << t.detail;
    if (++tried == 3) break;
  }
  EXPECT_EQ(tried, 3);
  // As above: aqlm-3's 128 KiB codebook x 2 copies + the stages, over any GPU's shared memory.
  const Problem p3 = Problem::matmul(Op::gemm, parse_vq("aqlm-3"), 64, 1024, 2048);
  m.prepare(p3, &src);
  GemmParams huge;
  huge.warps = 8;
  huge.k_groups = 4;
  huge.tile_m = 64;
  huge.codebook_smem = true;
  huge.smem_copies = 2;
  EXPECT_THROW(m.launch_fn(candidate_from(huge, p3)), InputError);
}

TEST(AttentionMeasurer, LaunchFnRunsTheTimedLaunch) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device";
  if (!sm90()) GTEST_SKIP() << "the CQ attention kernels are built for sm_90";
  profiler::Profiler prof;
  AttentionMeasurer m(prof, quick(), 5);
  const Problem p = Problem::attention(parse_vq("cq-2"), 2, 32, 8, 128, 1000);
  std::string src;
  m.prepare(p, &src);
  int split = 0;
  for (const Candidate& c : m.search_space(p)) {
    if (c.split_k < 2) continue;
    const profiler::LaunchFn launch = m.launch_fn(c);
    for (int i = 0; i < 3; ++i) ASSERT_EQ(launch(nullptr), cudaSuccess) << c.key();
    ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess) << c.key();
    EXPECT_EQ(m.measure(c).status, db::Status::ok) << c.key();
    ++split;
  }
  EXPECT_GE(split, 1);
  AttentionParams odd;
  odd.threads = 384;
  EXPECT_THROW(m.launch_fn(candidate_from(odd, p)), InputError);
}
