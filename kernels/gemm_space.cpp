// The VQ GEMM's search space (see gemm_space.hpp).
#include "kernels/gemm_space.hpp"

#include "kernels/gemm_attention_candidate.hpp"
#include "kernels/vq_device_layout.hpp"
#include "vq/error.hpp"

namespace vqt {

GemvFormat gemm_format_of(const Problem& p) {
  VqTensor shape;
  shape.config = p.vq;
  shape.rows = p.n;
  shape.cols = p.k;
  return gemv_format_of(shape);
}

std::vector<GemmParams> gemm_space(const Problem& p) {
  if (p.op != Op::gemm) throw InputError("gemm_space: not a gemm problem: " + p.key());
  const GemvFormat f = gemm_format_of(p);
  const GemvDevice largest{};  // 227 KiB of opt-in shared memory: the most of any current GPU
  std::vector<GemmParams> out;
  GemmParams unfused;
  unfused.strategy = GemmStrategy::unfused;
  if (can_implement_gemm(f, p.m, unfused, largest).empty()) out.push_back(unfused);
  const std::int64_t codebook_bytes =
      std::int64_t(f.residuals) * f.stored_entries() * std::int64_t(f.vec_size) * 2;
  for (int warps : {4, 8})
    for (int tile_m : {32, 64})
      for (int kg : {1, 2, 4})
        for (int split_k : {1, 2, 4})
          for (int placement = 0; placement < 3; ++placement) {
            GemmParams q;
            q.strategy = GemmStrategy::fused_regs;
            q.warps = warps;
            q.tile_m = tile_m;
            q.k_groups = kg;
            q.split_k = split_k;
            q.codebook_smem = placement < 2;
            q.smem_copies = placement == 1 ? 4 : 1;
            if (placement == 1 && (kg != 1 || 4 * codebook_bytes > 64 * 1024)) continue;
            if (can_implement_gemm(f, p.m, q, largest).empty()) out.push_back(q);
          }
  return out;
}

std::vector<Candidate> gemm_space_candidates(const Problem& p) {
  std::vector<Candidate> out;
  for (const GemmParams& q : gemm_space(p)) out.push_back(candidate_from(q, p));
  return out;
}

}  // namespace vqt
