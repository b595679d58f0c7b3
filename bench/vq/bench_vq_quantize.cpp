// Quantizer throughput on the CPU: whole-matrix quantization of synthetic LLM-like weights for the
// presets, the KV-cache quantizer, nearest-centroid assignment and the default synthetic histogram.
// The headline: aqlm-3 (VQ<8,12,2>, 4096 entries, 2 levels) on a 4096 x 4096 matrix, which must
// stay under a minute on a 2-core machine. Each full-size case runs once (seconds per iteration).
//
//   build-vq/bench/vq/bench_vq_quantize --benchmark_filter=BM_Quantize/aqlm-3
#include <benchmark/benchmark.h>

#include <map>
#include <random>
#include <string>

#include "vq/histogram.hpp"
#include "vq/kmeans.hpp"
#include "vq/kv_cache.hpp"
#include "vq/quantizer.hpp"
#include "vq/synthetic.hpp"

namespace {

using namespace vqt;

const std::vector<float>& weights(std::int64_t rows, std::int64_t cols) {
  static std::map<std::pair<std::int64_t, std::int64_t>, std::vector<float>> cache;
  auto& w = cache[{rows, cols}];
  if (w.empty()) w = synthetic_weights(rows, cols, 1234);
  return w;
}

void BM_Quantize(benchmark::State& state, const std::string& preset, std::int64_t rows,
                 std::int64_t cols) {
  const VqConfig c = parse_vq(preset);
  const auto& w = weights(rows, cols);
  QuantizeResult q;
  for (auto _ : state) {
    q = quantize(c, w.data(), rows, cols);
    benchmark::DoNotOptimize(q.tensor.codes.data());
  }
  state.counters["rel_error"] = q.relative_error;
  state.counters["train_vectors"] = double(q.train_vectors);
  state.counters["weights_per_s"] =
      benchmark::Counter(double(rows * cols), benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(c.describe() + " " + std::to_string(rows) + "x" + std::to_string(cols));
}

void BM_KmeansAssign(benchmark::State& state) {
  const int dim = int(state.range(0));
  const std::int64_t k = state.range(1), n = 65536;
  std::mt19937 rng(1);
  std::normal_distribution<float> nd;
  std::vector<float> x(std::size_t(n * dim)), c(std::size_t(k * dim));
  for (auto& e : x) e = nd(rng);
  for (auto& e : c) e = nd(rng);
  std::vector<std::uint16_t> codes(static_cast<std::size_t>(n));
  for (auto _ : state) {
    kmeans_assign(x.data(), n, dim, c.data(), k, codes.data(), nullptr, 2);
    benchmark::DoNotOptimize(codes.data());
  }
  state.counters["fma_per_s"] =
      benchmark::Counter(double(n * k * dim), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_QuantizeKvCache(benchmark::State& state, const std::string& preset) {
  const std::int64_t batch = 1, kvh = 8, ctx = 4096, hd = 128;
  const auto k = synthetic_kv(batch, kvh, ctx, hd, true, 1);
  const auto v = synthetic_kv(batch, kvh, ctx, hd, false, 1);
  for (auto _ : state) {
    auto kv = quantize_kv_cache(parse_vq(preset), k.data(), v.data(), batch, kvh, ctx, hd);
    benchmark::DoNotOptimize(kv.k_codes.data());
  }
  state.SetLabel(preset + " 8 kv heads x 4096 tokens x 128");
}

void BM_SyntheticHistogramUncached(benchmark::State& state, const std::string& preset,
                                   std::int64_t rows, std::int64_t cols) {
  for (auto _ : state) {
    auto h = synthetic_histogram(parse_vq(preset), rows, cols, 1, "");
    benchmark::DoNotOptimize(h.counts.data());
    state.SetLabel(h.source);
  }
}

}  // namespace

// Registered by hand so the names read "BM_Quantize/aqlm-3/4096x4096" (macro names cannot hold
// '-' or '#').
int main(int argc, char** argv) {
  using benchmark::kMillisecond;
  using benchmark::kSecond;
  struct Q {
    const char* preset;
    std::int64_t rows, cols;
  };
  for (const Q& q : {Q{"aqlm-3", 4096, 4096}, Q{"quip#-4", 4096, 4096}, Q{"gptvq-2", 4096, 4096},
                     Q{"aqlm-2x8", 4096, 4096}, Q{"aqlm-1x16", 256, 4096}}) {
    const std::string name = std::string("BM_Quantize/") + q.preset + "/" + std::to_string(q.rows) +
                             "x" + std::to_string(q.cols);
    benchmark::RegisterBenchmark(name.c_str(), BM_Quantize, std::string(q.preset), q.rows, q.cols)
        ->Unit(kSecond)
        ->Iterations(1)
        ->UseRealTime();
  }
  benchmark::RegisterBenchmark("BM_KmeansAssign", BM_KmeansAssign)
      ->ArgNames({"dim", "k"})
      ->Args({8, 4096})
      ->Args({4, 256})
      ->Args({2, 256})
      ->Unit(kMillisecond)
      ->UseRealTime();
  for (const char* p : {"cq-4", "cq-2"})
    benchmark::RegisterBenchmark((std::string("BM_QuantizeKvCache/") + p).c_str(),
                                 BM_QuantizeKvCache, std::string(p))
        ->Unit(kSecond)
        ->Iterations(1)
        ->UseRealTime();
  for (const Q& q :
       {Q{"aqlm-3", 11008, 4096}, Q{"gptvq-2", 4096, 4096}, Q{"aqlm-1x16", 4096, 4096}}) {
    const std::string name = std::string("BM_SyntheticHistogramUncached/") + q.preset + "/" +
                             std::to_string(q.rows) + "x" + std::to_string(q.cols);
    benchmark::RegisterBenchmark(name.c_str(), BM_SyntheticHistogramUncached, std::string(q.preset),
                                 q.rows, q.cols)
        ->Unit(kSecond)
        ->Iterations(1)
        ->UseRealTime();
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
