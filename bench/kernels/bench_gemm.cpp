// VQ GEMM benchmark (prefill): fused_regs and unfused (dequantize + cuBLAS) against cuBLAS fp16 on
// Llama-7B shapes (n x k = 4096x4096, 11008x4096, 4096x11008) for quip#-4, aqlm-3 and gptvq-2 at
// m = 32, 64, 512, 2048 tokens. Cold cache: codes (or fp16 W) and x rotated over > 2x L2;
// the harness's timer (CUPTI, else cudaEvents; named in the output and the CSV's timer column); the
// fused kernel over a small sweep of launch parameters.
//
// Usage: bench_gemm [--csv out.csv] [--quick] [--only PRESET:N:K:M]   (markdown table last)
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "bench/kernels/bench_attention_fill.hpp"
#include "bench/kernels/harness.hpp"
#include "kernels/cuda_check.hpp"
#include "kernels/device_tensor.hpp"
#include "kernels/gemm_vq.hpp"
#include "kernels/gemv_baselines.hpp"
#include "kernels/vq_device_layout.hpp"
#include "kernels/vq_gemv.hpp"
#include "tests/kernels/gemv_test_util.hpp"

namespace vqt::bench {
namespace {

struct Row {
  std::string problem, variant;
  TimingStats t;
  double flops = 0;
};

std::vector<GemmParams> fused_sweep(const GemvFormat& f, std::int64_t m, int sms, bool quick) {
  std::vector<GemmParams> ps;
  GemmParams d = default_gemm_params(f, m, sms);
  if (d.strategy == GemmStrategy::unfused) {
    d = GemmParams{};
    d.codebook_smem = can_implement_gemm(f, m, d, GemvDevice{}).empty();
  }
  ps.push_back(d);
  if (quick) return ps;
  for (int kg : {1, 2, 4})
    for (int split : {1, 4, 8, 16}) {
      GemmParams p = d;
      p.warps = 8;
      p.k_groups = kg;
      p.split_k = split;
      p.tile_m = m <= 32 ? 32 : 64;
      if (m > 256 && (split > 1 || kg == 4)) continue;
      ps.push_back(p);
    }
  if (d.codebook_smem) {  // 8 interleaved codebook copies (conflict-free 16-byte lookups)
    GemmParams p = d;
    p.smem_copies = 8;
    ps.push_back(p);
  }
  if (d.codebook_smem) {  // the codebook through L1 instead, where an instance exists
    GemmParams p = d;
    p.codebook_smem = false;
    ps.push_back(p);
  }
  return ps;
}

void run_problem(const char* preset, std::int64_t n, std::int64_t k, const std::vector<int>& ms,
                 const DeviceInfo& dev, cublasHandle_t h, bool quick, std::vector<Row>& rows) {
  const VqTensor w = test::skewed_tensor(parse_vq(preset), n, k, 42);
  const GemvHostPack pack = pack_for_gemv(w);
  const GemvDevice gd = gemv_device(0);
  const std::size_t code_bytes = pack.lo.size() + pack.hi.size();
  const int sets = rotation_sets(code_bytes, dev.l2_bytes);
  std::vector<DeviceBuffer<std::uint8_t>> lo, hi;
  for (int i = 0; i < sets; ++i) {
    lo.emplace_back(pack.lo);
    if (!pack.hi.empty()) hi.emplace_back(pack.hi);
  }
  DeviceBuffer<std::uint16_t> cb(pack.codebooks);
  const std::size_t w_elems = std::size_t(n * k);
  const int w_sets = rotation_sets(w_elems * 2, dev.l2_bytes);
  std::vector<DeviceBuffer<std::uint16_t>> wf;
  for (int i = 0; i < w_sets; ++i) {
    wf.emplace_back(w_elems);
    VQT_CUDA_CHECK(fill_random_half(wf.back().get(), w_elems, std::uint64_t(1000 + i), 0.05f));
  }
  cudaStream_t stream;
  VQT_CUDA_CHECK(cudaStreamCreate(&stream));
  auto timer = make_timer();
  for (int m : ms) {
    const std::string problem = std::string(preset) + " " + std::to_string(n) + "x" +
                                std::to_string(k) + " m" + std::to_string(m);
    const std::size_t x_elems = std::size_t(m) * std::size_t(k);
    const int x_sets = std::max(sets, w_sets);
    DeviceBuffer<std::uint16_t> x(x_elems * std::size_t(x_sets)), y(std::size_t(m) * n);
    VQT_CUDA_CHECK(fill_random_half(x.get(), x.size(), 7, 1.0f));
    const double flops = 2.0 * double(m) * double(n) * double(k);
    auto add = [&](const std::string& variant, const LaunchFn& fn, int n_sets) {
      const TimingStats t = time_cold(*timer, fn, n_sets, stream);
      rows.push_back({problem, variant, t, flops});
      std::fprintf(stderr, "%s %s: %.2f us (%.1f TFLOP/s)\n", problem.c_str(), variant.c_str(),
                   t.median_s * 1e6, flops / t.median_s * 1e-12);
    };
    add(
        "cublas_fp16",
        [&](int s, cudaStream_t st) {
          VQT_CUDA_CHECK(cublas_gemv_fp16(h, wf[std::size_t(s % w_sets)].get(),
                                          x.get() + x_elems * std::size_t(s), y.get(), n, k, m,
                                          st));
        },
        x_sets);
    if (m == ms.back()) {  // the unfused path's first half alone (independent of m)
      DeviceBuffer<std::uint16_t> wd(w_elems);
      add(
          "dequant_only",
          [&](int s, cudaStream_t st) {
            VqGemvArgs g;
            g.format = pack.format;
            g.codes_lo = lo[std::size_t(s)].get();
            g.codes_hi = hi.empty() ? nullptr : hi[std::size_t(s)].get();
            g.codebooks = cb.get();
            VQT_CUDA_CHECK(vq_dequantize_fp16(g, wd.get(), st));
          },
          sets);
      // The write ceiling the dequantize step runs into: memset of the same W bytes.
      add(
          "memset_w",
          [&](int, cudaStream_t st) {
            VQT_CUDA_CHECK(cudaMemsetAsync(wd.get(), 0x3C, wd.bytes(), st));
          },
          1);
    }
    std::vector<GemmParams> ps = fused_sweep(pack.format, m, dev.sm_count, quick);
    GemmParams u;
    u.strategy = GemmStrategy::unfused;
    ps.insert(ps.begin(), u);
    for (const GemmParams& p : ps) {
      const std::string why = can_implement_gemm(pack.format, m, p, gd);
      if (!why.empty()) {
        std::fprintf(stderr, "skip %s %s: %s\n", problem.c_str(), p.key().c_str(), why.c_str());
        continue;
      }
      DeviceBuffer<std::uint8_t> ws(
          std::max<std::size_t>(1, gemm_workspace_bytes(pack.format, m, p)));
      ws.fill_bytes(0);  // split-k counters start at zero
      add(
          p.strategy == GemmStrategy::unfused ? "unfused" : "fused[" + p.key() + "]",
          [&](int s, cudaStream_t st) {
            VqGemmArgs a;
            a.format = pack.format;
            a.codes_lo = lo[std::size_t(s)].get();
            a.codes_hi = hi.empty() ? nullptr : hi[std::size_t(s)].get();
            a.codebooks = cb.get();
            a.x = x.get() + x_elems * std::size_t(s);
            a.y = y.get();
            a.m = m;
            a.workspace = ws.get();
            a.workspace_bytes = ws.bytes();
            a.cublas = h;
            VQT_CUDA_CHECK(vq_gemm(a, p, st));
          },
          sets);
    }
  }
  VQT_CUDA_CHECK(cudaStreamDestroy(stream));
}

}  // namespace
}  // namespace vqt::bench

int main(int argc, char** argv) {
  using namespace vqt;
  using namespace vqt::bench;
  std::string csv, only;
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--csv") && i + 1 < argc)
      csv = argv[++i];
    else if (!std::strcmp(argv[i], "--only") && i + 1 < argc)
      only = argv[++i];
    else if (!std::strcmp(argv[i], "--quick"))
      quick = true;
    else {
      std::fprintf(stderr, "usage: bench_gemm [--csv out.csv] [--quick] [--only PRESET:N:K:M]\n");
      return 2;
    }
  }
  try {
    const DeviceInfo dev = device_info();
    std::printf("# %s\n# timer: %s\n", dev.describe().c_str(), timer_name());
    if (!timer_fallback_reason().empty())
      std::printf("# CUPTI not used: %s\n", timer_fallback_reason().c_str());
    cublasHandle_t h;
    if (cublasCreate(&h) != CUBLAS_STATUS_SUCCESS) throw Error("cublasCreate failed");
    std::vector<Row> rows;
    const std::vector<int> all_m = {32, 64, 512, 2048};
    for (const char* preset : {"quip#-4", "aqlm-3", "gptvq-2"})
      for (auto nk : {std::pair<int, int>{4096, 4096}, {11008, 4096}, {4096, 11008}}) {
        std::vector<int> ms;
        for (int m : all_m) {
          const std::string tag = std::string(preset) + ":" + std::to_string(nk.first) + ":" +
                                  std::to_string(nk.second) + ":" + std::to_string(m);
          if (only.empty() || only == tag) ms.push_back(m);
        }
        if (!ms.empty()) run_problem(preset, nk.first, nk.second, ms, dev, h, quick, rows);
      }
    cublasDestroy(h);
    if (!csv.empty()) {
      std::ofstream f(csv);
      f << "problem,variant,median_us,min_us,max_us,rel_stdev,count,tflops,timer\n";
      for (const auto& r : rows)
        f << r.problem << ",\"" << r.variant << "\"," << r.t.median_s * 1e6 << ","
          << r.t.min_s * 1e6 << "," << r.t.max_s * 1e6 << "," << r.t.rel_stdev << "," << r.t.count
          << "," << r.flops / r.t.median_s * 1e-12 << "," << timer_name() << "\n";
    }
    // Per problem: cuBLAS fp16, unfused, best fused; ratios = cuBLAS time / time.
    std::printf(
        "| problem | cublas us | unfused us | best fused us | fused params | fused vs cublas | "
        "best vs cublas |\n|---|---|---|---|---|---|---|\n");
    for (std::size_t i = 0; i < rows.size();) {
      std::size_t j = i;
      double cub = 0, unf = 0, fus = 0;
      std::string fp;
      for (; j < rows.size() && rows[j].problem == rows[i].problem; ++j) {
        const double t = rows[j].t.median_s;
        if (rows[j].variant == "cublas_fp16")
          cub = t;
        else if (rows[j].variant == "unfused")
          unf = t;
        else if (rows[j].variant.rfind("fused[", 0) != 0)
          continue;  // diagnostics (dequant_only, memset_w)
        else if (fus == 0 || t < fus) {
          fus = t;
          fp = rows[j].variant;
        }
      }
      const double best = fus > 0 && (unf == 0 || fus < unf) ? fus : unf;
      std::printf("| %s | %.2f | %.2f | %.2f | %s | %.2fx | %.2fx |\n", rows[i].problem.c_str(),
                  cub * 1e6, unf * 1e6, fus * 1e6, fp.c_str(), fus > 0 ? cub / fus : 0.0,
                  best > 0 ? cub / best : 0.0);
      i = j;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_gemm: %s\n", e.what());
    return 1;
  }
  return 0;
}
