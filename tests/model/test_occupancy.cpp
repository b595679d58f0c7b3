// Occupancy against hand computations from CUDA's rules (cuda_occupancy.h): see model/occupancy.hpp
// for the rules. Each case writes the arithmetic out.
#include <gtest/gtest.h>

#include <random>

#include "model/gpu_spec.hpp"
#include "model/occupancy.hpp"

using namespace vqt;

namespace {
void expect_occ(const char* gpu, int threads, int regs, int smem, int blocks, OccupancyLimit limit,
                double occ) {
  const Occupancy o = occupancy(find_gpu(gpu), threads, regs, smem);
  SCOPED_TRACE(std::string(gpu) + " threads=" + std::to_string(threads) +
               " regs=" + std::to_string(regs) + " smem=" + std::to_string(smem));
  EXPECT_EQ(o.blocks_per_sm, blocks);
  EXPECT_EQ(o.limit, limit) << to_string(o.limit);
  EXPECT_DOUBLE_EQ(o.occupancy, occ);
}
}  // namespace

// H100: 65536 regs in 4 sub-partitions, 64 warps, 32 blocks, 228 KiB = 233472 B shared memory per
// SM, 227 KiB = 232448 B per block opt-in, 1 KiB reserved per block, 128 B allocation unit.
TEST(Occupancy, H100) {
  // 256 thr = 8 warps; 32 regs x 32 = 1024 regs/warp; 16384/1024 = 16 warps per sub-partition
  // -> 64 warps -> 8 blocks; warp slots 64/8 = 8 (warps bind first in the tie order); 100 %.
  expect_occ("h100-sxm", 256, 32, 0, 8, OccupancyLimit::warps, 1.0);
  // 128 thr = 4 warps; 64 regs -> 2048/warp -> 8 warps/sub -> 32 warps -> 8 blocks;
  // smem 49152 + 1024 = 50176 (multiple of 128) -> 233472 / 50176 = 4.65 -> 4 blocks = 16 warps.
  expect_occ("h100-sxm", 128, 64, 48 * 1024, 4, OccupancyLimit::shared_memory, 0.25);
  // 1024 thr = 32 warps; 64 regs -> 2048/warp x 32 = 65536 <= regs per block; 8 warps/sub ->
  // 32 warps -> 1 block (warp slots would allow 2).
  expect_occ("h100-sxm", 1024, 64, 0, 1, OccupancyLimit::registers, 0.5);
  // 1024 thr, 72 regs -> 2304/warp x 32 = 73728 > 65536: cannot launch.
  expect_occ("h100-sxm", 1024, 72, 0, 0, OccupancyLimit::registers, 0.0);
  // 96 thr = 3 warps; 40 regs -> 1280/warp (multiple of 256) -> 16384/1280 = 12 warps/sub -> 48
  // warps -> 16 blocks; warp slots 21; smem 100 + 1024 = 1124 -> 1152 -> 202 blocks; 48/64.
  expect_occ("h100-sxm", 96, 40, 100, 16, OccupancyLimit::registers, 0.75);
  // 64 thr = 2 warps; 255 regs -> 8160 -> 8192/warp -> 2 warps/sub -> 8 warps -> 4 blocks.
  expect_occ("h100-sxm", 64, 255, 0, 4, OccupancyLimit::registers, 0.125);
  // 256 regs per thread exceed the 255 maximum.
  expect_occ("h100-sxm", 64, 256, 0, 0, OccupancyLimit::registers, 0.0);
  // 232448 B (the opt-in maximum) + 1024 = 233472 -> exactly 1 block; one byte more cannot run.
  expect_occ("h100-sxm", 128, 32, 232448, 1, OccupancyLimit::shared_memory, 4.0 / 64);
  expect_occ("h100-sxm", 128, 32, 232449, 0, OccupancyLimit::shared_memory, 0.0);
}

// A100: as H100 but 164 KiB = 167936 B per SM, 163 KiB = 166912 B per block.
TEST(Occupancy, A100) {
  // 256 thr = 8 warps; 128 regs -> 4096/warp -> 4 warps/sub -> 16 warps -> 2 blocks; 16/64.
  expect_occ("a100-80gb-sxm", 256, 128, 0, 2, OccupancyLimit::registers, 0.25);
  // 128 thr; smem 40000 + 1024 = 41024 -> 41088 (321 x 128) -> 167936 / 41088 = 4.09 -> 4.
  expect_occ("a100-80gb-sxm", 128, 32, 40000, 4, OccupancyLimit::shared_memory, 0.25);
  // 32 thr, 16 regs -> 512/warp -> 32 warps/sub -> 128 warps -> 128 blocks; warps 64; the
  // 32-blocks-per-SM limit binds: 32 warps = 50 %.
  expect_occ("a100-40gb-pcie", 32, 16, 0, 32, OccupancyLimit::blocks, 0.5);
}

// Ada (cc 8.9): 1536 threads = 48 warps, 24 blocks, 100 KiB = 102400 B per SM, 99 KiB per block.
TEST(Occupancy, Ada) {
  // 32 thr, 16 regs: 24-block limit -> 24 warps of 48 = 50 %.
  expect_occ("rtx-4090", 32, 16, 0, 24, OccupancyLimit::blocks, 0.5);
  // 256 thr = 8 warps, 32 regs -> registers allow 64/8 = 8, warp slots 48/8 = 6 -> 6 blocks, 100 %.
  expect_occ("l40s", 256, 32, 0, 6, OccupancyLimit::warps, 1.0);
  // 128 thr; smem 30000 + 1024 = 31024 -> 31104 (243 x 128) -> 102400 / 31104 = 3.29 -> 3 blocks
  // = 12 warps of 48.
  expect_occ("rtx-6000-ada", 128, 32, 30000, 3, OccupancyLimit::shared_memory, 0.25);
  // 101377 B > 101376 opt-in maximum.
  expect_occ("l40s", 128, 32, 101377, 0, OccupancyLimit::shared_memory, 0.0);
}

TEST(Occupancy, InvalidLaunch) {
  EXPECT_EQ(occupancy(find_gpu("h100"), 0, 32, 0).limit, OccupancyLimit::invalid);
  EXPECT_EQ(occupancy(find_gpu("h100"), 1025, 32, 0).blocks_per_sm, 0);
}

TEST(Occupancy, TableEqualsTheRulesEverywhere) {
  std::mt19937 rng(std::random_device{}());
  for (const auto& g : gpu_specs()) {
    const OccupancyTable t(g);
    std::uniform_int_distribution<int> smem(0, g.max_smem_per_block_bytes + 2048);
    for (int threads = 32; threads <= 1024; threads += 32)
      for (int regs = 0; regs <= 256; regs += 8)
        for (int s : {0, 1, 1024, smem(rng), smem(rng), g.max_smem_per_block_bytes,
                      g.max_smem_per_block_bytes + 1}) {
          const Occupancy a = occupancy(g, threads, regs, s), b = t.lookup(threads, regs, s);
          ASSERT_EQ(a.blocks_per_sm, b.blocks_per_sm) << g.key << " " << threads << " " << regs;
          ASSERT_EQ(a.limit, b.limit) << g.key << " " << threads << " " << regs << " " << s;
          ASSERT_EQ(a.smem_per_block_bytes, b.smem_per_block_bytes);
          ASSERT_EQ(a.regs_per_warp, b.regs_per_warp);
          ASSERT_DOUBLE_EQ(a.occupancy, b.occupancy);
        }
    // Outside the table (odd registers, odd threads): falls back to the rules.
    EXPECT_EQ(t.lookup(100, 37, 0).blocks_per_sm, occupancy(g, 100, 37, 0).blocks_per_sm);
  }
}
