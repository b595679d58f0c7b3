#include "model/occupancy.hpp"

namespace vqt {

const char* to_string(OccupancyLimit l) {
  switch (l) {
    case OccupancyLimit::none:
      return "none";
    case OccupancyLimit::registers:
      return "registers";
    case OccupancyLimit::shared_memory:
      return "shared_memory";
    case OccupancyLimit::warps:
      return "warps";
    case OccupancyLimit::blocks:
      return "blocks";
    case OccupancyLimit::invalid:
      return "invalid";
  }
  return "?";
}

namespace {
inline int round_up(int x, int unit) {
  return (x + unit - 1) / unit * unit;
}
inline int div_up(int x, int d) {
  return (x + d - 1) / d;
}
}  // namespace

Occupancy occupancy(const GpuSpec& s, int threads, int regs_per_thread, int smem_bytes) {
  Occupancy o;
  if (threads <= 0 || threads > s.max_threads_per_block || regs_per_thread < 0 || smem_bytes < 0) {
    o.limit = OccupancyLimit::invalid;
    return o;
  }
  const int warps = div_up(threads, s.warp_size);

  // Warp slots.
  const int by_warps = s.max_warps_per_sm / warps;

  // Registers, allocated per warp in each sub-partition.
  int by_regs = 1 << 30;
  o.regs_per_warp = round_up(regs_per_thread * s.warp_size, s.reg_alloc_unit);
  if (o.regs_per_warp > 0) {
    const int assumed = o.regs_per_warp * round_up(warps, s.sub_partitions_per_sm);
    const int allocated = o.regs_per_warp * warps;
    if (assumed > s.regs_per_block || allocated > s.regs_per_block ||
        regs_per_thread > s.max_regs_per_thread) {
      by_regs = 0;
    } else {
      const int warps_per_sub = (s.regs_per_sm / s.sub_partitions_per_sm) / o.regs_per_warp;
      by_regs = warps_per_sub * s.sub_partitions_per_sm / warps;
    }
  }

  // Shared memory, with the driver's per-block reservation and the allocation unit.
  int by_smem = 1 << 30;
  o.smem_per_block_bytes =
      round_up(smem_bytes + s.reserved_smem_per_block_bytes, s.smem_alloc_unit_bytes);
  if (smem_bytes > s.max_smem_per_block_bytes)
    by_smem = 0;
  else if (o.smem_per_block_bytes > 0)
    by_smem = s.smem_per_sm_bytes / o.smem_per_block_bytes;

  const int by_blocks = s.max_blocks_per_sm;

  // The smallest limit binds; ties go to the first in this order.
  o.blocks_per_sm = by_blocks;
  o.limit = OccupancyLimit::blocks;
  if (by_warps < o.blocks_per_sm) {
    o.blocks_per_sm = by_warps;
    o.limit = OccupancyLimit::warps;
  }
  if (by_regs < o.blocks_per_sm) {
    o.blocks_per_sm = by_regs;
    o.limit = OccupancyLimit::registers;
  }
  if (by_smem < o.blocks_per_sm) {
    o.blocks_per_sm = by_smem;
    o.limit = OccupancyLimit::shared_memory;
  }
  o.active_warps_per_sm = o.blocks_per_sm * warps;
  o.occupancy = double(o.active_warps_per_sm) / double(s.max_warps_per_sm);
  return o;
}

OccupancyTable::OccupancyTable(const GpuSpec& spec) : spec_(spec) {
  for (int w = 1; w <= 32; ++w)
    for (int r8 = 0; r8 <= 32; ++r8) {
      // No shared memory: the smallest of the other limits, with occupancy()'s tie order.
      const Occupancy o = occupancy(spec, w * spec.warp_size, r8 * 8, 0);
      Cell& c = cells_[w][r8];
      c.regs_per_warp = o.regs_per_warp;
      c.blocks = short(o.blocks_per_sm);
      c.limit = o.limit;
      if (o.limit == OccupancyLimit::shared_memory)
        c.limit = OccupancyLimit::blocks;  // unreachable
    }
}

Occupancy OccupancyTable::lookup(int threads, int regs_per_thread, int smem_bytes) const {
  if (threads <= 0 || threads % spec_.warp_size != 0 || threads > spec_.max_threads_per_block ||
      regs_per_thread < 0 || regs_per_thread > 256 || regs_per_thread % 8 != 0 || smem_bytes < 0)
    return occupancy(spec_, threads, regs_per_thread, smem_bytes);
  const int warps = threads / spec_.warp_size;
  const Cell& c = cells_[warps][regs_per_thread / 8];
  Occupancy o;
  o.regs_per_warp = c.regs_per_warp;
  o.blocks_per_sm = c.blocks;
  o.limit = c.limit;
  o.smem_per_block_bytes =
      round_up(smem_bytes + spec_.reserved_smem_per_block_bytes, spec_.smem_alloc_unit_bytes);
  const int by_smem = smem_bytes > spec_.max_smem_per_block_bytes ? 0
                      : o.smem_per_block_bytes > 0
                          ? spec_.smem_per_sm_bytes / o.smem_per_block_bytes
                          : 1 << 30;
  if (by_smem < o.blocks_per_sm) {
    o.blocks_per_sm = by_smem;
    o.limit = OccupancyLimit::shared_memory;
  }
  o.active_warps_per_sm = o.blocks_per_sm * warps;
  o.occupancy = double(o.active_warps_per_sm) / double(spec_.max_warps_per_sm);
  return o;
}

}  // namespace vqt
