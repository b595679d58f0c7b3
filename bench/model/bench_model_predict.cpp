// Cost-model throughput: predictions per second on one core (the issue asks for >= 10 million).
// Candidates come from the real enumeration of each problem; items/s = predictions/s.
#include <benchmark/benchmark.h>

#include "model/enumerate.hpp"

using namespace vqt;

namespace {

PreparedProblem make(const char* vq, Op op) {
  Problem p;
  p.op = op;
  p.vq = parse_vq(vq);
  if (op == Op::attention_decode) {
    p.batch = 8;
    p.q_heads = 32;
    p.kv_heads = 8;
    p.head_dim = 128;
    p.context = 8192;
  } else {
    p.m = op == Op::gemv ? 1 : 2048;
    p.n = 11008;
    p.k = 4096;
  }
  return prepare(p, find_gpu("h100-sxm"), ModelCoefficients{},
                 zipf_sorted_cdf(p.vq.stored_entries(), 0.8), "zipf:0.8");
}

void run(benchmark::State& state, const char* vq, Op op) {
  const PreparedProblem p = make(vq, op);
  const std::vector<Candidate> cands = enumerate_candidates(p);
  std::size_t i = 0;
  double sink = 0;
  for (auto _ : state) {
    const Prediction r = predict(p, cands[i]);
    sink += r.time_s;
    if (++i == cands.size()) i = 0;
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(state.iterations());
  state.counters["candidates"] = double(cands.size());
}

void BM_predict_gemv_aqlm3(benchmark::State& s) {
  run(s, "aqlm-3", Op::gemv);
}
void BM_predict_gemv_quip4(benchmark::State& s) {
  run(s, "quip#-4", Op::gemv);
}
void BM_predict_gemm_aqlm3(benchmark::State& s) {
  run(s, "aqlm-3", Op::gemm);
}
void BM_predict_attention_cq2(benchmark::State& s) {
  run(s, "cq-2", Op::attention_decode);
}

// The whole `vqtune predict` core: enumerate, predict and sort every candidate of one problem.
void BM_rank_gemv_aqlm3(benchmark::State& state) {
  const PreparedProblem p = make("aqlm-3", Op::gemv);
  std::size_t n = 0;
  for (auto _ : state) {
    auto r = rank_candidates(p, 10);
    n = r.size();
    benchmark::DoNotOptimize(r);
  }
  state.counters["kept"] = double(n);
}

}  // namespace

BENCHMARK(BM_predict_gemv_aqlm3);
BENCHMARK(BM_predict_gemv_quip4);
BENCHMARK(BM_predict_gemm_aqlm3);
BENCHMARK(BM_predict_attention_cq2);
BENCHMARK(BM_rank_gemv_aqlm3)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
