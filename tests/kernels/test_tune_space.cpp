// cpu tier: the GEMM and decode-attention search spaces of the tuner (kernels/gemm_space.hpp,
// attention_space.hpp) and their canonical Candidates: sizes, one distinct launch configuration
// per candidate, round trips, what the model's geometry accepts.
#include <gtest/gtest.h>

#include <set>

#include "kernels/attention_space.hpp"
#include "kernels/gemm_attention_candidate.hpp"
#include "kernels/gemm_space.hpp"
#include "kernels/gemv_geometry.hpp"
#include "model/cost_model.hpp"
#include "model/model_shapes.hpp"
#include "vq/error.hpp"

namespace vqt {
namespace {

const char* const kWeightPresets[] = {"quip#-4", "aqlm-3", "gptvq-2", "aqlm-2x8", "aqlm-1x16"};

std::vector<Problem> llama7b(Op op, const char* vq, std::int64_t m) {
  std::vector<Problem> out;
  for (const auto& lp : expand_model(find_model_shape("llama-7b"), op, parse_vq(vq), m, 4096))
    out.push_back(lp.problem);
  return out;
}

TEST(GemmSpace, SizesDistinctParamsAndRoundTrip) {
  for (const char* vq : kWeightPresets)
    for (const Problem& p : llama7b(Op::gemm, vq, 512)) {
      const std::vector<GemmParams> params = gemm_space(p);
      const std::vector<Candidate> cands = gemm_space_candidates(p);
      ASSERT_EQ(params.size(), cands.size());
      EXPECT_GE(params.size(), 24u) << p.key();
      EXPECT_LE(params.size(), 72u) << p.key();
      std::set<std::string> pkeys, ckeys;
      int unfused = 0;
      for (std::size_t i = 0; i < params.size(); ++i) {
        pkeys.insert(params[i].key());
        ckeys.insert(cands[i].key());
        unfused += params[i].strategy == GemmStrategy::unfused;
        // Candidate -> params gives back exactly the configuration it came from.
        EXPECT_EQ(gemm_params_from(cands[i]).key(), params[i].key()) << cands[i].key();
        // Its canonical text form parses back to the same candidate.
        EXPECT_EQ(Candidate::from_key(cands[i].key()), cands[i]);
      }
      EXPECT_EQ(pkeys.size(), params.size()) << p.key() << ": duplicate configurations";
      EXPECT_EQ(ckeys.size(), cands.size()) << p.key() << ": two configurations, one candidate";
      EXPECT_EQ(unfused, 1) << p.key();
    }
}

TEST(GemmSpace, EveryPlacementTheKernelHasAndOnlyThose) {
  auto placements = [](const char* vq) {
    std::set<std::string> out;
    for (const GemmParams& q : gemm_space(llama7b(Op::gemm, vq, 512)[1]))
      if (q.strategy == GemmStrategy::fused_regs)
        out.insert(std::string(q.codebook_smem ? "smem" : "global") +
                   std::to_string(q.smem_copies));
    return out;
  };
  EXPECT_EQ(placements("aqlm-1x16"), (std::set<std::string>{"global1"}));
  EXPECT_EQ(placements("aqlm-3"),
            (std::set<std::string>{"global1", "smem1"}));  // 4 copies: 512 KiB
  EXPECT_EQ(placements("aqlm-2x8"), (std::set<std::string>{"smem1", "smem4"}));
  EXPECT_EQ(placements("quip#-4"), (std::set<std::string>{"smem1", "smem4"}));
}

TEST(GemmSpace, CanonicalCandidatesAreValidForTheModel) {
  const GpuSpec spec = find_gpu("h100-sxm");
  for (const char* vq : kWeightPresets)
    for (const Problem& p : llama7b(Op::gemm, vq, 512)) {
      // Every one, uneven split-k included (gptvq-2 at k = 11008: 43 codebook tile columns).
      for (const Candidate& c : gemm_space_candidates(p))
        EXPECT_EQ(can_run(p, c, spec), "") << p.key() << " " << c.key();
    }
}

TEST(GemmSpace, ModelTileKFitsTheSlice) {
  const VqConfig aqlm3 = parse_vq("aqlm-3");  // chunk_k 128
  EXPECT_EQ(gemm_model_tile_k(aqlm3, 4096, 1), 128);
  EXPECT_EQ(gemm_model_tile_k(aqlm3, 11008, 4), 64);  // 2752 = 64 x 43
  EXPECT_EQ(gemm_model_tile_k(parse_vq("aqlm-1x16"), 11008, 1), 256);
  EXPECT_EQ(gemm_model_tile_k(aqlm3, 11008, 3), 128);  // 3 does not divide k: chunk_k
}

TEST(GemmSpace, RefusesOtherOps) {
  EXPECT_THROW(gemm_space(llama7b(Op::gemv, "aqlm-3", 1)[0]), InputError);
}

TEST(AttentionSpace, SizesDistinctRoundTripAndSplits) {
  for (const char* model : {"llama-7b", "llama-3-8b"})
    for (const char* kv : {"cq-4", "cq-2"})
      for (std::int64_t batch : {1, 16})
        for (std::int64_t ctx : {4096, 1000}) {
          const Problem p = expand_model(find_model_shape(model), Op::attention_decode,
                                         parse_vq(kv), batch, ctx)[0]
                                .problem;
          const auto params = attention_space(p);
          const auto cands = attention_space_candidates(p);
          ASSERT_EQ(params.size(), cands.size());
          if (ctx == 4096) {
            EXPECT_EQ(params.size(), 12u) << p.key();  // 2 threads x 6 splits
          }
          EXPECT_GE(params.size(), 8u) << p.key();
          std::set<std::string> pkeys, ckeys;
          for (std::size_t i = 0; i < params.size(); ++i) {
            pkeys.insert(params[i].key());
            ckeys.insert(cands[i].key());
            EXPECT_EQ(attention_params_from(cands[i]).key(), params[i].key());
            const std::int64_t per = params[i].tokens_per_split;
            EXPECT_EQ(cands[i].split_k, (ctx + per - 1) / per);
            EXPECT_EQ(cands[i].tile_k, 128);
            EXPECT_EQ(cands[i].tile_m, 1);
            EXPECT_TRUE(can_run(p, cands[i], find_gpu("h100-sxm")).empty())
                << p.key() << " " << cands[i].key() << ": "
                << can_run(p, cands[i], find_gpu("h100-sxm"));
          }
          EXPECT_EQ(pkeys.size(), params.size());
          EXPECT_EQ(ckeys.size(), cands.size());
        }
}

TEST(AttentionSpace, ShapeOfCqProblemsOnly) {
  const Problem p = Problem::attention(parse_vq("cq-2"), 2, 32, 8, 128, 1000);
  const AttentionShape s = attention_shape_of(p);
  EXPECT_EQ(s.capacity, 1008);
  EXPECT_EQ(s.vec_size, 4);
  EXPECT_EQ(s.kv_heads, 8);
  EXPECT_EQ(s.format, KvFormat::cq);
  Problem bad = p;
  bad.vq = parse_vq("vq:2,4,1:group=2");
  EXPECT_THROW(attention_shape_of(bad), InputError);
}

}  // namespace
}  // namespace vqt
