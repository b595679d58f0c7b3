// ModelCoefficients: every efficiency factor and per-operation cost the cost model uses, in one
// struct, so calibration (least squares against measurements) can replace them and the result can
// be stored per GPU. The defaults are first-principles guesses stated next to each field, except
// fp32_efficiency and the unpack / lattice operation counts, set by hand from the instruction
// counts of the first fused kernels on an H100/H200 (bench/results/NOTES-gemv.md: ~12 decode ops
// per 12-bit lookup, 3 per half2 for lattice signs, 2.1 IPC; NOTES-attention.md: byte codes need
// an extract and an address); nothing is fitted yet. Efficiencies are fractions in (0, 1]; that
// keeps predicted >= ideal time.
#pragma once

#include <string>
#include <vector>

namespace vqt {

// X-macro: (name, default, lower bound, upper bound, what it is). One list drives the struct, JSON
// I/O and the range checks, so a field cannot be forgotten in one of them.
#define VQT_MODEL_COEFFICIENTS(X)                                                                \
  X(hbm_efficiency, 0.80, 0.05, 1.0, "achievable fraction of datasheet HBM bandwidth")           \
  X(l2_efficiency, 0.75, 0.05, 1.0, "achievable fraction of L2 bandwidth")                       \
  X(smem_efficiency, 0.85, 0.05, 1.0, "achievable fraction of shared-memory wavefronts")         \
  X(fp32_efficiency, 0.55, 0.05, 1.0,                                                            \
    "achievable fraction of CUDA-core issue rate (2.1 of 4 IPC)")                                \
  X(tensor_efficiency, 0.70, 0.05, 1.0, "achievable fraction of dense tensor FLOP/s")            \
  X(dequant_ops_per_element, 0.5, 0.0, 64.0,                                                     \
    "CUDA-core ops per looked-up element and level (half2)")                                     \
  X(fma_ops_per_mac, 0.5, 0.0, 4.0, "CUDA-core ops per multiply-add (0.5: packed half2 FMA)")    \
  X(unpack_ops_per_code, 8.0, 0.0, 64.0,                                                         \
    "ops per code of b not 8/16: extract, address, tier test")                                   \
  X(unpack_ops_per_aligned_code, 3.0, 0.0, 64.0, "ops per 8- or 16-bit code: extract, address")  \
  X(lattice_ops_per_element, 1.5, 0.0, 64.0, "lattice sign flips per element (3 ops per half2)") \
  X(global_path_ops, 4.0, 0.0, 64.0, "ops per lookup when any lane of the warp goes global")     \
  X(l1_latency_s, 35e-9, 1e-9, 1e-5, "L1 hit latency of a dependent codebook lookup")            \
  X(l2_latency_s, 150e-9, 1e-9, 1e-5, "L2 hit latency of a dependent codebook lookup")           \
  X(hbm_latency_s, 600e-9, 1e-9, 1e-5, "DRAM latency of a load that misses L2")                  \
  X(lookups_in_flight_per_warp, 4.0, 1.0, 64.0, "independent global lookups a warp overlaps")    \
  X(l1_capacity_efficiency, 0.7, 0.0, 1.0, "share of free L1 that holds codebook rows (LRU)")    \
  X(x_line_wait_cycles, 0.0, 0.0, 10000.0,                                                       \
    "fused GEMV: chain cycles an L1 codebook lookup waits per x line of its chunk")              \
  X(x_l1_miss_per_line, 0.0, 0.0, 1.0,                                                           \
    "fused GEMV: share of x lines missing L1; in-order L1 lookups behind one wait for L2")       \
  X(l2_capacity_efficiency, 0.5, 0.0, 1.0, "share of L2 the codebook keeps against streams")     \
  X(l1_wavefronts_per_lookup, 1.0, 0.1, 8.0, "L1 wavefronts (128-B lines) per scattered lookup") \
  X(l1_miss_cost, 1.0, 0.0, 16.0, "extra L1 wavefronts a miss costs (fill)")                     \
  X(fill_exposed_fraction, 1.0, 0.0, 1.0, "share of a block's codebook fill not overlapped")     \
  X(launch_overlap, 0.0, 0.0, 1.0, "share of launch overhead hidden by the previous kernel")     \
  X(gemv_base_s, 2e-6, 1e-8, 1e-4, "fused GEMV: fixed GPU time of a launch (ramp, tail, flag)")  \
  X(gemv_chain_cycles, 400.0, 10.0, 20000.0,                                                     \
    "fused GEMV: latency of one warp's chunk step beyond its lookups (decode, mma, loop)")       \
  X(gemv_item_cycles, 2000.0, 0.0, 100000.0,                                                     \
    "fused GEMV: latency a warp pays per work item (first code load, x, split-k epilogue)")      \
  X(gemv_issue_per_code, 6.0, 0.1, 200.0, "fused GEMV: warp instructions per code and lane")     \
  X(gemv_issue_per_mma, 2.0, 0.1, 200.0, "fused GEMV: issue cycles per m16n8k16 mma")            \
  X(gemv_mma_chain_cycles, 0.0, 0.0, 200.0,                                                      \
    "fused GEMV: latency per mma of a warp's accumulator chain (k16 tiles in order)")            \
  X(gemv_split_item_cycles, 2000.0, 0.0, 100000.0,                                               \
    "fused GEMV: a split-k item's epilogue (atomics, fence, barriers, arrival counter)")         \
  X(gemv_tile_cycles, 1000.0, 0.0, 100000.0,                                                     \
    "fused GEMV, per-tile codebooks: a tile column's restart (code prefetch, two barriers)")     \
  X(gemv_tile_warp_cycles, 0.0, 0.0, 10000.0,                                                    \
    "fused GEMV, per-tile codebooks: a tile column's barrier wait per warp of the block")        \
  X(tier_test_issue_per_code, 4.0, 0.0, 200.0,                                                   \
    "fused GEMV: instructions per code of the tier test (codebook split over tiers)")            \
  X(pipelined_lookups_in_flight, 16.0, 1.0, 16.0,                                                \
    "fused GEMV: lookups of a chunk a warp overlaps when every lookup takes one path")           \
  X(reg_select_issue_per_code, 8.0, 0.0, 200.0,                                                  \
    "fused GEMV: extra instructions per code of the register tier's select chain")               \
  X(reg_select_chain_cycles_per_code, 0.0, 0.0, 1000.0,                                          \
    "fused GEMV: latency per code (v = 8; scaled by v / 8) of the register tier's select chain") \
  X(smem_latency_s, 20e-9, 1e-9, 1e-5, "latency of a shared-memory codebook lookup")             \
  X(lsu_wavefronts_per_code_load, 4.0, 0.1, 64.0,                                                \
    "fused GEMV: L1/LSU wavefronts of one warp's code and activation loads per chunk")           \
  X(overlap_exponent, 4.0, 1.0, 32.0,                                                            \
    "p of the smooth maximum (sum t_i^p)^(1/p) of overlapping limits; large p = hard max")       \
  X(overlap_warps_exponent, -1.0, -4.0, -1.0,                                                    \
    "fused GEMV, per-tensor codebooks: a round's p scales as (warps on SM 0 / 16)^this")         \
  X(tile_overlap_exponent, 4.0, 1.0, 32.0,                                                       \
    "fused GEMV, per-tile codebooks: a round's p at 16 warps (barriers every tile column)")      \
  X(tile_overlap_warps_exponent, 0.0, -4.0, 4.0,                                                 \
    "fused GEMV, per-tile codebooks: a round's p scales as (warps on SM 0 / 16)^this")           \
  X(atomic_cost_factor, 1.0, 0.01, 100.0, "split-k reduction cost relative to L2 read+write")    \
  X(l2_scatter_cost, 1.0, 0.05, 100.0,                                                           \
    "L2 cost of a scattered 32-byte lookup sector relative to streamed bytes")                   \
  X(gemm_base_s, 1.01e-05, 1e-8, 1e-4, "fused GEMM: fixed GPU time of a launch (ramp, tail)")    \
  X(gemm_chain_cycles, 1.64, 1.0, 1e5,                                                           \
    "fused GEMM: latency of one warp's chunk step beyond its issue and lookups (barrier, mma)")  \
  X(gemm_issue_per_lookup, 0.1, 0.1, 200.0, "fused GEMM: warp instructions per code and lane")   \
  X(gemm_issue_per_mma, 17.8, 0.1, 200.0, "fused GEMM: issue cycles per m16n8k16 mma")           \
  X(gemm_mma_cycles, 0.05, 0.05, 64.0, "fused GEMM: SM tensor-pipe cycles per m16n8k16 mma")     \
  X(gemm_smem_lookup_cycles, 2420.0, 1.0, 1e4,                                                   \
    "fused GEMM: chain latency of a chunk's shared-memory codebook lookups")                     \
  X(gemm_l1_lookup_cycles, 1870.0, 1.0, 1e5,                                                     \
    "fused GEMM: chain latency of a chunk's codebook lookups through L1")                        \
  X(gemm_l1_wavefronts_per_lookup, 0.05, 0.05, 32.0,                                             \
    "fused GEMM: L1 wavefronts of a warp's scattered codebook lookup through L1")                \
  X(gemm_l1_capacity_efficiency, 0.589, 0.01, 1.0,                                               \
    "fused GEMM: share of the SM's free L1 that holds codebook rows")                            \
  X(gemm_l1_miss_cost, 0.0, 0.0, 64.0, "fused GEMM: extra L1 wavefronts of a missing lookup")    \
  X(gemm_l2_lookup_cycles, 3860.0, 1.0, 1e5,                                                     \
    "fused GEMM: extra chain latency of a chunk with an L1 miss among its lookups")              \
  X(gemm_l2_scatter_cost, 2.96, 0.05, 100.0,                                                     \
    "fused GEMM: L2 cost of a missed lookup's 32-byte sector relative to streamed bytes")        \
  X(gemm_fill_load_cycles, 564.0, 1.0, 1e5,                                                      \
    "fused GEMM: cycles per row a thread loads and stores in the codebook fill (L2 round trip)") \
  X(gemm_block_cycles, 7190.0, 1.0, 1e6, "fused GEMM: prologue and epilogue cycles of a block")  \
  X(gemm_splitk_cycles, 1010.0, 1.0, 1e6,                                                        \
    "fused GEMM: cycles per split-k slice of the last block's reduction")                        \
  X(gemm_fill_bytes_per_cycle, 4096.0, 1.0, 4096.0,                                              \
    "fused GEMM: L2 bytes per cycle one SM receives (codebook fills, x stages)")                 \
  X(gemm_hbm_efficiency, 0.859, 0.05, 1.0, "GEMM: fraction of measured HBM bandwidth")           \
  X(gemm_l2_efficiency, 0.535, 0.05, 1.0, "GEMM: achievable fraction of measured L2 bandwidth")  \
  X(gemm_overlap_exponent, 3.98, 1.0, 32.0, "GEMM: p of the smooth maximum of its limits")       \
  X(gemm_dequant_cycles_per_lookup, 0.001, 0.001, 100.0,                                         \
    "unfused GEMM: SM cycles per codebook lookup of the dequantize kernel")                      \
  X(gemm_dequant_base_s, 1e-08, 1e-8, 1e-4, "unfused GEMM: fixed time of the dequantize kernel") \
  X(gemm_cublas_efficiency, 0.924, 0.05, 1.0,                                                    \
    "unfused GEMM: cuBLAS fraction of the measured fp16 tensor ceiling")                         \
  X(gemm_cublas_base_s, 1e-08, 1e-8, 1e-4, "unfused GEMM: fixed time of the cuBLAS GEMM")        \
  X(attn_base_s, 4.49e-06, 1e-8, 1e-4, "CQ attention: fixed GPU time of a launch")               \
  X(attn_setup_cycles, 1510.0, 1.0, 1e6, "CQ attention: fixed setup cycles of a block")          \
  X(attn_fill_bytes_per_cycle, 81.7, 1.0, 4096.0,                                                \
    "CQ attention: L2 bytes per cycle one SM receives (codebook copies)")                        \
  X(attn_table_cycles_per_entry, 131.0, 0.01, 1e4,                                               \
    "CQ attention: cycles per query x centroid table entry and thread")                          \
  X(attn_issue_per_tile, 241.0, 1.0, 1e4,                                                        \
    "CQ attention: warp instructions per 16-token tile beyond the lookups")                      \
  X(attn_issue_per_lookup, 11.0, 0.1, 200.0,                                                     \
    "CQ attention: warp instructions per K-table + V lookup pair and lane (beyond v FMAs)")      \
  X(attn_chain_cycles, 827.0, 1.0, 1e5, "CQ attention: latency of one warp's tile step")         \
  X(attn_stream_cycles, 1.0, 1.0, 1e5,                                                           \
    "CQ attention: shortest tile step of a warp (next tile's codes one HBM round trip ahead)")   \
  X(attn_block_cycles, 543.0, 1.0, 1e6, "CQ attention: merge and epilogue cycles of a block")    \
  X(attn_hbm_efficiency, 1.0, 0.05, 1.0, "CQ attention: fraction of measured HBM bandwidth")     \
  X(attn_l2_efficiency, 0.788, 0.05, 1.0, "CQ attention: fraction of measured L2 bandwidth")     \
  X(attn_combine_s, 2.05e-06, 1e-8, 1e-4, "CQ attention: fixed time of the combine kernel")      \
  X(attn_overlap_exponent, 3.5, 1.0, 32.0, "CQ attention: p of the smooth maximum of limits")    \
  X(l2_slice_requests_per_s, 1.5e9, 1e7, 1e12,                                                   \
    "requests one L2 slice serves per second (hot codebook sectors read past L1 queue there)")

struct ModelCoefficients {
#define VQT_COEF_FIELD(name, def, lo, hi, doc) double name = def;
  VQT_MODEL_COEFFICIENTS(VQT_COEF_FIELD)
#undef VQT_COEF_FIELD

  // Throws InputError naming the first field outside its range.
  void validate() const;
  std::string to_json() const;
  // Parses JSON written by to_json(); missing fields keep their defaults, unknown fields and
  // out-of-range values are InputErrors. Fields earlier models had and this one no longer reads
  // (retired_coefficients()) are accepted and ignored, so stored fits and files still load.
  static ModelCoefficients from_json(const std::string& text);
  static const std::vector<std::string>& retired_coefficients();
  void save(const std::string& path) const;  // throws Error on I/O failure
  static ModelCoefficients load(const std::string& path);
};

}  // namespace vqt
