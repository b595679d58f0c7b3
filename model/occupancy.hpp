// Occupancy calculator following CUDA's rules (cuda_occupancy.h, CUDA 13, partitioned global
// caching off, the kernel opted in to the maximum shared-memory carveout):
//   warps per block     = ceil(threads / 32)
//   registers per warp  = roundup(regs_per_thread x 32, reg_alloc_unit)          (256 on cc >= 5)
//   register limit      = floor(floor(regs_per_sm / sub_partitions) / regs_per_warp)
//                         x sub_partitions / warps_per_block; 0 when the block's registers, with
//                         its warps rounded up to a multiple of sub_partitions, exceed
//                         regs_per_block, or regs_per_thread > max_regs_per_thread
//   shared-memory limit = smem_per_sm / roundup(smem_bytes + reserved_per_block, alloc_unit);
//                         0 when smem_bytes > max_smem_per_block (opt-in)
//   warp limit          = max_warps_per_sm / warps_per_block
//   block limit         = max_blocks_per_sm
// blocks per SM = the smallest limit; the binding one is reported.
#pragma once

#include "model/gpu_spec.hpp"

namespace vqt {

enum class OccupancyLimit { none, registers, shared_memory, warps, blocks, invalid };
const char* to_string(OccupancyLimit l);

struct Occupancy {
  int blocks_per_sm = 0;
  int active_warps_per_sm = 0;
  double occupancy = 0;  // active warps / max warps per SM
  OccupancyLimit limit = OccupancyLimit::none;
  int regs_per_warp = 0;         // after rounding to the allocation unit
  int smem_per_block_bytes = 0;  // allocated, reservation and rounding included
};

// Pure integer arithmetic, no allocation (the cost model calls it for every candidate).
Occupancy occupancy(const GpuSpec& spec, int threads_per_block, int regs_per_thread,
                    int smem_bytes_per_block);

// The register, warp-slot and block limits precomputed for every (warps per block, registers per
// thread in multiples of 8), so the cost model computes only the shared-memory limit per candidate.
// lookup() equals occupancy() for every input (tests/model/test_occupancy.cpp checks all of them);
// inputs outside the table fall back to occupancy().
class OccupancyTable {
 public:
  OccupancyTable() = default;
  explicit OccupancyTable(const GpuSpec& spec);
  Occupancy lookup(int threads_per_block, int regs_per_thread, int smem_bytes_per_block) const;

 private:
  struct Cell {
    short blocks = 0;
    OccupancyLimit limit = OccupancyLimit::invalid;
    int regs_per_warp = 0;
  };
  GpuSpec spec_;
  Cell cells_[33][33] = {};  // [warps per block][regs / 8]
};

}  // namespace vqt
