// cpu tier: the model inputs the runtime dispatch loads from a database (tuner::DispatchTables):
// the stored coefficients and measured ceilings of the GPU class, not the defaults, rank the
// model fallback; a missing file gives the datasheet and the defaults; bad stored JSON is refused.
#include <gtest/gtest.h>

#include <filesystem>

#include "db/repository.hpp"
#include "model/cost_model.hpp"
#include "model/enumerate.hpp"
#include "tuner/ceilings_store.hpp"
#include "tuner/dispatch_choice.hpp"
#include "tuner/stored_model.hpp"
#include "vq/error.hpp"

using namespace vqt;
using namespace vqt::tuner;

namespace {

struct TempDb {
  std::string path;
  TempDb() {
    path = (std::filesystem::temp_directory_path() /
            ("vqt_stored_model_" + std::to_string(::getpid()) + ".db"))
               .string();
    std::filesystem::remove(path);
  }
  ~TempDb() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  }
};

Problem gemv(const char* vq, std::int64_t m, std::int64_t n, std::int64_t k) {
  const Problem p = Problem::matmul(Op::gemv, parse_vq(vq), m, n, k);
  p.validate();
  return p;
}

// Far from the defaults: slow CUDA cores and costly unpacking, a slow measured HBM.
ModelCoefficients fitted() {
  ModelCoefficients c;
  c.hbm_efficiency = 0.95;
  c.fp32_efficiency = 0.08;
  c.unpack_ops_per_code = 40;
  c.unpack_ops_per_aligned_code = 30;
  c.dequant_ops_per_element = 6;
  c.l1_wavefronts_per_lookup = 4;
  return c;
}

const db::GpuRecord kGpu{"GPU-1", "NVIDIA H100 80GB HBM3", 9, 0, "580.1", "13.0", "h100-sxm"};
constexpr double kHbmRead = 1.1e12;

Candidate model_first(const Problem& p, const GpuSpec& spec, const ModelCoefficients& coef) {
  const auto ranked = rank_candidates(
      prepare(p, spec, coef, zipf_sorted_cdf(p.vq.stored_entries(), 1.0), "zipf:1"));
  EXPECT_FALSE(ranked.empty());
  return ranked.front().candidate;
}

}  // namespace

TEST(StoredModel, DispatchFallbackRanksWithTheStoredCoefficientsAndCeilings) {
  TempDb tmp;
  {
    auto repo = db::Repository::open(tmp.path, db::Access::create);
    store_ceilings(repo, kGpu, {{"hbm_read", kHbmRead, "bytes/s", 0.01, 10}}, "measure");
    repo.save_coefficients("h100-sxm", "fit:40", fitted().to_json());
    repo.save_coefficients("a100-sxm", "fit:10", ModelCoefficients{}.to_json());
  }
  const GpuSpec datasheet = find_gpu("h100-sxm");
  ASSERT_NE(datasheet.hbm_bw_bytes_per_s(), kHbmRead);
  const DispatchTables t = DispatchTables::load(tmp.path, "h100-sxm");
  EXPECT_EQ(t.heuristics.size(), 0u);
  EXPECT_TRUE(t.model.fitted_coefficients);
  EXPECT_TRUE(t.model.measured_ceilings);
  EXPECT_EQ(t.model.model_version, "fitted");
  EXPECT_EQ(t.model.coef.to_json(), fitted().to_json());
  EXPECT_DOUBLE_EQ(t.model.spec.hbm_bw_bytes_per_s(), kHbmRead);
  EXPECT_EQ(t.model.spec.ceiling_sources[int(vqt::Ceiling::hbm_bw)], FigureSource::measured);

  // No heuristics rows: every choice is the model's first under the stored inputs, and for some
  // of these shapes that is not the defaults' first (so the stored inputs are what ranked).
  const auto all = [](const Candidate&) { return true; };
  int differs = 0;
  for (const Problem& p : {gemv("aqlm-3", 1, 4096, 11008), gemv("quip#-4", 16, 4096, 11008),
                           gemv("gptvq-2", 1, 4096, 11008)}) {
    const DispatchChoice d = t.choose(p, all);
    EXPECT_EQ(d.source, ChoiceSource::model);
    EXPECT_EQ(d.candidate, model_first(p, t.model.spec, fitted())) << p.key();
    differs += !(d.candidate == model_first(p, datasheet, ModelCoefficients{}));
  }
  EXPECT_GT(differs, 0);
}

TEST(StoredModel, NoFileOrNoRowsGiveTheDatasheetAndTheDefaults) {
  TempDb tmp;
  const DispatchTables none = DispatchTables::load(tmp.path, "h100-sxm");  // file missing
  EXPECT_FALSE(std::filesystem::exists(tmp.path));                         // and not created
  EXPECT_FALSE(none.model.fitted_coefficients);
  EXPECT_FALSE(none.model.measured_ceilings);
  EXPECT_EQ(none.model.model_version, "default");
  EXPECT_EQ(none.model.coef.to_json(), ModelCoefficients{}.to_json());
  EXPECT_DOUBLE_EQ(none.model.spec.hbm_bw_bytes_per_s(), find_gpu("h100-sxm").hbm_bw_bytes_per_s());
  {
    auto repo = db::Repository::open(tmp.path, db::Access::create);
    repo.save_coefficients("h200", "fit:40", fitted().to_json());  // another class only
    const StoredModel m = load_stored_model(repo, "h100-sxm", find_gpu("h100-sxm"));
    EXPECT_FALSE(m.fitted_coefficients);
    EXPECT_EQ(m.coef.to_json(), ModelCoefficients{}.to_json());
    repo.save_coefficients("h100-sxm", "fit:1", "{\"hbm_efficiency\": 7}");  // out of range
    EXPECT_THROW(load_stored_model(repo, "h100-sxm", find_gpu("h100-sxm")), InputError);
  }
  EXPECT_THROW(DispatchTables::load(tmp.path, "h100-sxm"), InputError);
}
