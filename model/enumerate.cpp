#include "model/enumerate.hpp"

#include <algorithm>

#include "model/detail/geometry.hpp"

namespace vqt {

namespace {

// The fused GEMV's own space (kernels/gemv_params.hpp, docs/kernels.md): a warp owns 16 rows,
// a block `warps` of them (tile_n = 16 x warps), k is cut into split_k slices of whole k chunks
// (whole codebook tiles for per_tile), the register tier holds at most 4 entries per level. One
// candidate per distinct kernel configuration; the shared-memory boundaries are every 4x step
// (64 only for tables of <= 1024 entries), copies 1 or 4, L1 bypass when a global tier exists.
std::vector<Candidate> enumerate_gemv(const PreparedProblem& p) {
  const Problem& pr = p.problem;
  std::vector<int> smem_ends;
  if (p.entries <= 1024) smem_ends.push_back(64);
  for (int x : {256, 1024, 4096, 16384})
    if (x < p.entries) smem_ends.push_back(x);
  smem_ends.push_back(int(p.entries));
  std::vector<Candidate> out;
  Candidate c;
  c.fusion = Fusion::shuffle;
  c.dataflow = Dataflow::token_split;
  c.cb_split = 1;
  c.tile_m = int(pr.m);
  c.tile_k = detail::gemv_chunk_k(p.vec_size, p.levels);
  for (int n_reg : {0, detail::kGemvRegEntries}) {
    std::vector<int> ends{n_reg == 0 ? 0 : -1};  // n_reg > 0 always has a shared-memory tier
    for (int e : smem_ends)
      if (e > n_reg) ends.push_back(e);
    for (int n_smem : ends) {
      if (n_smem < 0) continue;
      for (int copies : {1, 4}) {
        if (copies > 1 && n_smem == n_reg) continue;
        for (int bypass = 0; bypass < 2; ++bypass) {
          if (bypass && n_smem >= p.entries) continue;
          for (int warps : {4, 8, 16})
            for (int split : {1, 2, 4, 8}) {
              c.n_reg = n_reg;
              c.n_smem = n_smem;
              c.smem_copies = copies;
              c.l1_bypass = bypass != 0;
              c.threads = 32 * warps;
              c.tile_n = 16 * warps;
              c.split_k = split;
              if (runnable(p, c)) out.push_back(c);
            }
        }
      }
    }
  }
  return out;
}

// The k step the canonical gemm candidate carries (kernels/gemm_attention_candidate.cpp
// gemm_model_tile_k): the largest power of two <= one chunk, a multiple of 16 and of v, dividing
// k / split_k (and the codebook tile's columns for per_tile); the chunk when none does.
int gemm_tile_k(const PreparedProblem& p, int split_k) {
  const Problem& pr = p.problem;
  const int chunk = detail::gemv_chunk_k(p.vec_size, p.levels);
  if (pr.k % split_k != 0) return chunk;
  const std::int64_t slice = pr.k / split_k;
  for (int t = chunk; t >= 16; t /= 2) {
    if (t % 16 != 0 || t % p.vec_size != 0 || slice % t != 0) continue;
    if (pr.vq.scope == Scope::per_tile && pr.vq.tile_cols % t != 0) continue;
    return t;
  }
  return chunk;
}

// The VQ GEMM's space (kernels/gemm_space.cpp, gemm_attention_candidate.cpp): unfused (one
// canonical candidate) and fused_regs: warps {4, 8} x tile_m {32, 64} x k_groups {1, 2, 4} x
// split_k {1, 2, 4} x codebook placement {shared memory, shared memory with 4 copies (k_groups 1,
// four copies of all levels within 64 KiB), through L1}; tile_n = 16 x warps / k_groups.
std::vector<Candidate> enumerate_gemm(const PreparedProblem& p) {
  std::vector<Candidate> out;
  Candidate u;
  u.fusion = Fusion::unfused;
  u.threads = 256;
  u.tile_m = 64;
  u.tile_n = 64;
  u.tile_k = gemm_tile_k(p, 1);
  u.n_smem = 0;
  if (runnable(p, u)) out.push_back(u);
  const double cb_bytes = double(p.levels) * double(p.entries) * p.row_bytes;
  Candidate c;
  c.fusion = Fusion::shuffle;
  c.dataflow = Dataflow::token_split;
  c.cb_split = 1;
  c.n_reg = 0;
  for (int warps : {4, 8})
    for (int tile_m : {32, 64})
      for (int kg : {1, 2, 4})
        for (int split : {1, 2, 4})
          for (int placement = 0; placement < 3; ++placement) {
            if (placement == 1 && (kg != 1 || 4 * cb_bytes > 64 * 1024)) continue;
            if (warps % kg != 0) continue;
            c.threads = 32 * warps;
            c.tile_m = tile_m;
            c.tile_n = 16 * warps / kg;
            c.split_k = split;
            c.tile_k = gemm_tile_k(p, split);
            c.n_smem = placement < 2 ? int(p.entries) : 0;
            c.smem_copies = placement == 1 ? 4 : 1;
            if (runnable(p, c)) out.push_back(c);
          }
  return out;
}

// The CQ decode attention's space (kernels/attention_space.cpp): token_split, threads {256,
// 512}, tokens per split 128, 256, ... below the capacity (context rounded up to 16), the
// capacity, and the default split (about two blocks per SM on 132 SMs, >= 512 tokens).
std::vector<Candidate> enumerate_attention(const PreparedProblem& p) {
  const Problem& pr = p.problem;
  const std::int64_t capacity = (pr.context + 15) / 16 * 16;
  std::vector<std::int64_t> tokens;
  for (std::int64_t t = 128; t < capacity; t *= 2) tokens.push_back(t);
  tokens.push_back(capacity);
  {
    const std::int64_t heads = pr.batch * pr.q_heads;
    std::int64_t splits = std::max<std::int64_t>(1, (2 * 132 + heads - 1) / heads);
    splits = std::min(splits, std::max<std::int64_t>(1, pr.context / 512));
    std::int64_t per = (pr.context + splits - 1) / splits;
    per = std::max<std::int64_t>(16, (per + 15) / 16 * 16);
    if (std::find(tokens.begin(), tokens.end(), per) == tokens.end()) tokens.push_back(per);
  }
  std::sort(tokens.begin(), tokens.end());
  std::vector<Candidate> out;
  Candidate c;
  c.fusion = Fusion::shuffle;
  c.dataflow = Dataflow::token_split;
  c.cb_split = 1;
  c.tile_m = 1;
  c.tile_k = int(pr.head_dim);
  c.n_reg = 0;
  c.n_smem = int(p.entries);
  for (int threads : {256, 512})
    for (std::int64_t t : tokens) {
      c.threads = threads;
      c.tile_n = int(t);
      c.split_k = int((pr.context + t - 1) / t);
      if (runnable(p, c)) out.push_back(c);
    }
  return out;
}

}  // namespace

std::vector<Candidate> enumerate_candidates(const PreparedProblem& p) {
  const Problem& pr = p.problem;
  if (pr.op == Op::gemv) return enumerate_gemv(p);
  if (pr.op == Op::gemm) return enumerate_gemm(p);
  if (pr.op == Op::attention_decode) return enumerate_attention(p);
  return {};  // the offload ops are not modelled yet (geometry() refuses them)
}

namespace {

bool ranked_less(const Ranked& a, const Ranked& b) {
  if (a.prediction.time_s != b.prediction.time_s) return a.prediction.time_s < b.prediction.time_s;
  // Exact ties: the higher occupancy hides latency the model does not see; then the key.
  if (a.prediction.occ.occupancy != b.prediction.occ.occupancy)
    return a.prediction.occ.occupancy > b.prediction.occ.occupancy;
  return a.candidate.key() < b.candidate.key();
}

}  // namespace

std::vector<Ranked> rank_given_candidates(const PreparedProblem& p,
                                          const std::vector<Candidate>& candidates) {
  std::vector<Ranked> all;
  all.reserve(candidates.size());
  for (const Candidate& c : candidates) all.push_back({c, predict(p, c)});
  std::sort(all.begin(), all.end(), ranked_less);  // +inf sorts last, then by key
  return all;
}

std::vector<Ranked> rank_candidates(const PreparedProblem& p, int top) {
  std::vector<Ranked> all;
  for (const Candidate& c : enumerate_candidates(p)) {
    Prediction pred = predict(p, c);
    if (pred.valid) all.push_back({c, pred});
  }
  const auto less = ranked_less;
  if (top > 0 && std::size_t(top) < all.size()) {
    std::partial_sort(all.begin(), all.begin() + top, all.end(), less);
    all.resize(std::size_t(top));
  } else {
    std::sort(all.begin(), all.end(), less);
  }
  return all;
}

}  // namespace vqt
