// cpu tier: measured ceilings into the database and back, and into the model's GpuSpec.
#include <gtest/gtest.h>

#include <filesystem>

#include "tuner/ceilings_store.hpp"

using namespace vqt;
using namespace vqt::tuner;

TEST(CeilingsStore, RoundTripLatestWinsAndModelUsesThem) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("vqt_ceil_" + std::to_string(::getpid()) + ".db"))
          .string();
  std::filesystem::remove(path);
  {
    auto repo = db::Repository::open(path, db::Access::create);
    db::GpuRecord gpu{"GPU-1", "NVIDIA H100 80GB HBM3", 9, 0, "580.159.04", "13.0", "h100-sxm"};
    store_ceilings(repo, gpu,
                   {{"hbm_read", 2.9e12, "bytes/s", 0.003, 10},
                    {"empty_kernel", 0.9e-6, "s", 0.01, 10},
                    {"launch", 4e-6, "s", 0.02, 10}},
                   "measure");
    store_ceilings(repo, gpu, {{"hbm_read", 2.97e12, "bytes/s", 0.002, 12}}, "measure");
    const auto got = load_ceilings(repo, "h100-sxm");
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[0].name, "hbm_read");
    EXPECT_DOUBLE_EQ(got[0].value, 2.97e12);  // the later measurement
    EXPECT_EQ(got[0].count, 12);
    EXPECT_TRUE(load_ceilings(repo, "a100").empty());

    const Ceilings c = to_model_ceilings(got, "test");
    const GpuSpec eff = effective(find_gpu("h100-sxm"), c);
    EXPECT_DOUBLE_EQ(eff.hbm_bw_bytes_per_s(), 2.97e12);
    EXPECT_DOUBLE_EQ(eff.launch_overhead_s(), 0.9e-6);  // empty_kernel, not host launch
    EXPECT_EQ(eff.ceiling_sources[int(vqt::Ceiling::hbm_bw)], FigureSource::measured);
    EXPECT_NE(eff.ceiling_sources[int(vqt::Ceiling::fp32)], FigureSource::measured);
  }
  for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path + s);
}

TEST(CeilingsStore, SpecKeyDetection) {
  EXPECT_EQ(detect_spec_key(9, 0, 132, std::int64_t(85.0e9)), "h100-sxm");  // 79.2 GiB reported
  EXPECT_EQ(detect_spec_key(9, 0, 132, std::int64_t(150.0e9)), "h200");
  EXPECT_EQ(detect_spec_key(9, 0, 100, std::int64_t(85.0e9)), "");
  EXPECT_FALSE(model_ceiling_of("zero_copy_read").has_value());
  EXPECT_EQ(model_ceiling_of("pcie_h2d"), vqt::Ceiling::host_link);
}
