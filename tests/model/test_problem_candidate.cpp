#include <gtest/gtest.h>

#include "model/candidate.hpp"
#include "model/problem.hpp"
#include "vq/error.hpp"

using namespace vqt;

TEST(Candidate, KeyRoundTrips) {
  Candidate c;
  c.n_reg = 16;
  c.n_smem = 1024;
  c.smem_copies = 2;
  c.l1_bypass = true;
  c.cb_split = 4;
  c.fusion = Fusion::smem;
  c.dataflow = Dataflow::codebook_centric;
  c.tile_m = 16;
  c.tile_n = 128;
  c.tile_k = 64;
  c.threads = 256;
  c.split_k = 3;
  EXPECT_EQ(Candidate::from_key(c.key()), c);
  EXPECT_THROW(Candidate::from_key("reg=1"), InputError);
  EXPECT_THROW(Candidate::from_key("garbage"), InputError);
}

TEST(Problem, ValidatesShapes) {
  Problem p;
  p.op = Op::gemv;
  p.vq = parse_vq("aqlm-3");
  p.m = 1;
  p.n = 11008;
  p.k = 4096;
  EXPECT_NO_THROW(p.validate());
  p.k = 4100;  // not a multiple of v=8
  EXPECT_THROW(p.validate(), InputError);
  p.k = 0;
  EXPECT_THROW(p.validate(), InputError);
  p.k = 4096;
  p.m = 17;  // gemv batch is 1..16
  EXPECT_THROW(p.validate(), InputError);
  EXPECT_EQ(parse_op("gemm"), Op::gemm);
  EXPECT_THROW(parse_op("conv"), InputError);
}
