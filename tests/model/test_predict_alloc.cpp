// predict() must not allocate (the enumeration calls it for every candidate): counts global
// operator new calls while predicting every candidate of a few problems.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

#include "model/enumerate.hpp"

namespace {
std::atomic<long> g_allocations{0};
std::atomic<bool> g_counting{false};
}  // namespace

void* operator new(std::size_t n) {
  if (g_counting) ++g_allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

using namespace vqt;

TEST(CostModel, PredictDoesNotAllocate) {
  for (const char* vq : {"aqlm-3", "quip#-4", "cq-2"}) {
    Problem pr;
    pr.vq = parse_vq(vq);
    if (pr.vq.scope == Scope::per_head_group) {
      pr.op = Op::attention_decode;
      pr.batch = 4;
      pr.q_heads = 32;
      pr.kv_heads = 8;
      pr.head_dim = 128;
      pr.context = 4096;
    } else {
      pr.op = Op::gemv;
      pr.n = 4096;
      pr.k = 4096;
    }
    const auto p = prepare(pr, find_gpu("h100-sxm"), ModelCoefficients{},
                           zipf_sorted_cdf(pr.vq.stored_entries(), 0.8), "zipf");
    const auto cands = enumerate_candidates(p);
    ASSERT_FALSE(cands.empty());
    double sum = 0;
    g_allocations = 0;
    g_counting = true;
    for (const auto& c : cands) sum += predict(p, c).time_s;
    g_counting = false;
    EXPECT_EQ(g_allocations.load(), 0) << vq;
    EXPECT_GT(sum, 0);
  }
  // The counter works: a vector allocates.
  g_counting = true;
  std::vector<int>* v = new std::vector<int>(10);
  g_counting = false;
  EXPECT_GE(g_allocations.load(), 2);
  delete v;
}
