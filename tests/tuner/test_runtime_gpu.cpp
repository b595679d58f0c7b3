// gpu tier: the runtime dispatch runs the winner stored in the database (not the model's pick),
// falls back to the cost model for a problem the database does not know, and the stored winner
// computes the right result.
#include <gtest/gtest.h>

#include <filesystem>

#include "kernels/gemv_candidate.hpp"
#include "kernels/vq_device_layout.hpp"
#include "kernels/vq_gemv.hpp"
#include "model/cost_model.hpp"
#include "model/enumerate.hpp"
#include "profiler/ceilings.hpp"
#include "tuner/ceilings_store.hpp"
#include "tuner/gemv_measurer.hpp"
#include "tuner/runtime.hpp"

using namespace vqt;

TEST(Runtime, StoredWinnerIsWhatRuns) {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess || n == 0) GTEST_SKIP() << "no CUDA device";
  const profiler::DeviceInfo info = profiler::device_info(0);
  const std::string spec_key = tuner::detect_spec_key(info.cc_major, info.cc_minor, info.sm_count,
                                                      std::int64_t(info.global_mem_bytes));
  if (spec_key.empty()) GTEST_SKIP() << "no built-in spec for " << info.name;
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("vqt_runtime_" + std::to_string(::getpid()) + ".db"))
                               .string();
  std::filesystem::remove(path);

  Problem p;
  p.op = Op::gemv;
  p.vq = parse_vq("aqlm-3");
  p.m = 1;
  p.n = 4096;
  p.k = 4096;
  // The model's implementable ranking; the stored winner is its 6th, so it differs from top-1.
  const GemvDevice dev = gemv_device(0);
  VqTensor shape;
  shape.config = p.vq;
  shape.rows = p.n;
  shape.cols = p.k;
  const GemvFormat f = gemv_format_of(shape);
  const PreparedProblem prep = prepare(p, find_gpu(spec_key), ModelCoefficients{},
                                       zipf_sorted_cdf(p.vq.stored_entries(), 1.0), "zipf");
  std::vector<Candidate> ok;
  for (const auto& r : rank_candidates(prep))
    if (can_implement(f, 1, gemv_params_from(r.candidate), dev).empty()) ok.push_back(r.candidate);
  ASSERT_GE(ok.size(), 6u);
  const Candidate stored = ok[5];
  {
    auto repo = db::Repository::open(path, db::Access::create);
    db::GpuRecord gpu{info.uuid,   info.name,         info.cc_major, info.cc_minor,
                      info.driver, info.cuda_version, spec_key};
    const auto gpu_id = repo.upsert_gpu(gpu);
    db::RunInfo run = db::Repository::this_process_run("tune", "test");
    const auto run_id = repo.begin_run(run);
    tuner::TrialResult fast, slow;
    fast.candidate = stored;
    fast.median_s = fast.min_s = fast.max_s = 10e-6;
    fast.count = 10;
    slow.candidate = ok[0];
    slow.median_s = slow.min_s = slow.max_s = 20e-6;
    slow.count = 10;
    tuner::record_trial(repo, run_id, gpu_id, p, fast, db::Timer::cupti);
    tuner::record_trial(repo, run_id, gpu_id, p, slow, db::Timer::cupti);
    repo.finish_run(run_id);
    ASSERT_GE(repo.recompute_heuristics(), 1);
  }

  Runtime rt(path, 0);
  EXPECT_EQ(rt.gpu_key(), spec_key);
  EXPECT_GE(rt.heuristics_rows(), 1u);
  const Runtime::Choice c = rt.choose(p);
  EXPECT_EQ(c.source, Runtime::Source::exact);
  EXPECT_EQ(c.candidate, stored) << c.candidate.key() << " vs " << stored.key();
  EXPECT_EQ(c.params.key(), gemv_params_from(stored).key());

  // A problem the database does not hold: the model's top implementable candidate.
  Problem q = p;
  q.vq = parse_vq("gptvq-2");
  const Runtime::Choice m = rt.choose(q);
  EXPECT_EQ(m.source, Runtime::Source::model);

  // The stored winner's kernel computes y = x W^T correctly (checked against the fp64 reference).
  profiler::Profiler prof;
  tuner::GemvMeasurer meas(prof, profiler::ConvergenceRule{}, 3);
  std::string src;
  meas.prepare(p, &src);
  const tuner::TrialResult t = meas.measure(c.candidate);
  EXPECT_EQ(t.status, db::Status::ok) << t.detail;
  for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path + s);
}
