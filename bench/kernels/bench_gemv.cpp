// Fused VQ GEMV against its baselines on the Llama linear layers, all in one run on one GPU:
//   cublas_fp16      fp16 weights through cublasGemmEx
//   dequant_cublas   decode to fp16, then cuBLAS (both kernels timed)
//   vq_global        the fused kernel with the codebook in global memory (VQ-LLM's "unoptimized")
//   vq_best          the fastest of a small placement x split search of the fused kernel
// Cold cache: every variant rotates over input sets (codes + codebooks, or fp16 W) totalling more
// than 2x L2. Codes are random with a skewed, hottest-first index distribution (u^3 law); the
// kernels' speed depends on that distribution, not on codebook quality. Every VQ variant's output
// is checked against dequant_cublas's before its time counts. Times come from the harness's timer
// (CUPTI, else cudaEvents): its name is printed first, in the benchmark context ("timer"), in
// every row's label ("timer=cupti") and in the summary's heading.
//
// Extra flags (before Google Benchmark's): --gemv_models=7b,65b --gemv_presets=quip#-4,aqlm-3,...
// --gemv_batches=1,16 --gemv_search=full|quick
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "bench/kernels/gemv_fill.hpp"
#include "bench/kernels/harness.hpp"
#include "kernels/cuda_check.hpp"
#include "kernels/device_tensor.hpp"
#include "kernels/gemv_baselines.hpp"
#include "kernels/vq_device_layout.hpp"
#include "kernels/vq_gemv.hpp"
#include "vq/half.hpp"
#include "vq/vq_config.hpp"

namespace vqt::bench {
namespace {

struct Shape {
  const char* model;
  std::int64_t n, k;
};

const std::vector<Shape> kShapes = {
    {"7b", 4096, 4096},  {"7b", 11008, 4096},  {"7b", 4096, 11008},
    {"65b", 8192, 8192}, {"65b", 22016, 8192}, {"65b", 8192, 22016},
};

struct Options {
  std::vector<std::string> models = {"7b", "65b"};
  std::vector<std::string> presets = {"quip#-4", "aqlm-3", "gptvq-2", "aqlm-2x8", "aqlm-1x16"};
  std::vector<int> batches = {1, 16};
  bool quick_search = false;
  std::string only_params;  // --gemv_params=KEY: time just this GemvParams (for ncu)
};
Options g_opt;
double g_copy_bw = 0;
DeviceInfo g_dev;

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

GemvFormat format_for(const std::string& preset, std::int64_t n, std::int64_t k) {
  const VqConfig c = parse_vq(preset);
  VqTensor t;
  t.config = c;
  t.rows = n;
  t.cols = k;
  return gemv_format_of(t);
}

std::string problem_name(const Shape& s, int batch, const std::string& preset) {
  std::ostringstream os;
  os << s.model << " " << s.n << "x" << s.k << " b" << batch << " " << preset;
  return os.str();
}

cudaStream_t stream() {
  static cudaStream_t s = [] {
    cudaStream_t x;
    VQT_CUDA_CHECK(cudaStreamCreateWithFlags(&x, cudaStreamNonBlocking));
    return x;
  }();
  return s;
}

cublasHandle_t cublas() {
  static cublasHandle_t h = [] {
    cublasHandle_t x;
    if (cublasCreate(&x) != CUBLAS_STATUS_SUCCESS) throw Error("cublasCreate failed");
    return x;
  }();
  return h;
}

// Device data of one (shape, preset): rotated code sets, activations, outputs, workspace, the
// dequantized W and the reference output of set 0 (dequant + cuBLAS).
struct VqData {
  std::string key;
  GemvFormat f;
  GemvLayout layout;
  int sets = 1;
  std::vector<DeviceBuffer<std::uint8_t>> lo, hi;
  std::vector<DeviceBuffer<std::uint16_t>> cb;
  DeviceBuffer<std::uint16_t> x, y, w;
  DeviceBuffer<std::uint8_t> ws;
  std::vector<std::uint16_t> ref_y;  // set 0, batch 16
  VqGemvArgs args(int set, int batch) const {
    VqGemvArgs a;
    a.format = f;
    a.codes_lo = lo[std::size_t(set)].get();
    a.codes_hi = layout.hi_bytes ? hi[std::size_t(set)].get() : nullptr;
    a.codebooks = cb[std::size_t(set)].get();
    a.x = x.get();
    a.y = y.get();
    a.batch = batch;
    a.workspace = ws.get();
    a.workspace_bytes = ws.bytes();
    return a;
  }
};

std::unique_ptr<VqData> g_vq;

VqData& vq_data(const Shape& s, const std::string& preset) {
  const std::string key = std::to_string(s.n) + "x" + std::to_string(s.k) + preset;
  if (g_vq && g_vq->key == key) return *g_vq;
  g_vq.reset();
  auto d = std::make_unique<VqData>();
  d->key = key;
  d->f = format_for(preset, s.n, s.k);
  d->layout = gemv_layout(d->f);
  const std::size_t set_bytes = d->layout.lo_bytes + d->layout.hi_bytes + d->layout.codebook_bytes;
  d->sets = rotation_sets(set_bytes, g_dev.l2_bytes);
  for (int i = 0; i < d->sets; ++i) {
    d->lo.emplace_back(d->layout.lo_bytes);
    d->hi.emplace_back(std::max<std::size_t>(d->layout.hi_bytes, 16));
    d->cb.emplace_back(d->layout.codebook_bytes / 2);
    VQT_CUDA_CHECK(fill_skewed_codes(d->f, d->lo.back().get(), d->hi.back().get(),
                                     1234 + std::uint64_t(i), 3.0, stream()));
    VQT_CUDA_CHECK(fill_uniform_half(d->cb.back().get(), d->cb.back().size(), 99 + std::uint64_t(i),
                                     1.0f, stream()));
  }
  d->x = DeviceBuffer<std::uint16_t>(std::size_t(kGemvMaxBatch * s.k));
  VQT_CUDA_CHECK(fill_uniform_half(d->x.get(), d->x.size(), 7, 1.0f, stream()));
  d->y = DeviceBuffer<std::uint16_t>(std::size_t(kGemvMaxBatch * s.n));
  d->w = DeviceBuffer<std::uint16_t>(std::size_t(s.n * s.k));
  d->ws = DeviceBuffer<std::uint8_t>(gemv_workspace_bytes(d->f));
  d->ws.fill_bytes(0, stream());
  // Reference: dequantize set 0, cuBLAS at batch 16.
  VQT_CUDA_CHECK(vq_dequantize_fp16(d->args(0, 16), d->w.get(), stream()));
  VQT_CUDA_CHECK(
      cublas_gemv_fp16(cublas(), d->w.get(), d->x.get(), d->y.get(), s.n, s.k, 16, stream()));
  VQT_CUDA_CHECK(cudaStreamSynchronize(stream()));
  d->ref_y = d->y.download();
  g_vq = std::move(d);
  return *g_vq;
}

// Relative L2 error of y (batch rows) against the reference; inf on NaN.
double check_output(const VqData& d, int batch) {
  const auto y = d.y.download();
  double num = 0, den = 0;
  for (std::size_t i = 0; i < std::size_t(batch) * std::size_t(d.f.rows); ++i) {
    const double a = half_bits_to_float(y[i]), b = half_bits_to_float(d.ref_y[i]);
    if (!std::isfinite(a)) return INFINITY;
    num += (a - b) * (a - b);
    den += b * b;
  }
  return std::sqrt(num / std::max(den, 1e-30));
}

void record(benchmark::State& st, const std::string& problem, const std::string& variant,
            const TimingStats& t, double bytes, double flops, const std::string& label = "") {
  report(st, t, bytes, flops);
  st.SetLabel((label.empty() ? "" : label + " ") + "timer=" + timer_name());
  st.counters["copy_bw_frac"] = t.median_s > 0 ? bytes / t.median_s / g_copy_bw : 0.0;
  results().add({problem, variant, t, bytes, flops});
  st.SetIterationTime(t.median_s);
}

// --- baselines --------------------------------------------------------------------------------

void bm_cublas(benchmark::State& st, Shape s, int batch) {
  const std::size_t w_elems = std::size_t(s.n * s.k);
  const int sets = rotation_sets(w_elems * 2, g_dev.l2_bytes);
  std::vector<DeviceBuffer<std::uint16_t>> w;
  for (int i = 0; i < sets; ++i) {
    w.emplace_back(w_elems);
    VQT_CUDA_CHECK(
        fill_uniform_half(w.back().get(), w_elems, 5 + std::uint64_t(i), 0.05f, stream()));
  }
  DeviceBuffer<std::uint16_t> x(std::size_t(batch * s.k)), y(std::size_t(batch * s.n));
  VQT_CUDA_CHECK(fill_uniform_half(x.get(), x.size(), 3, 1.0f, stream()));
  auto timer = make_timer();
  TimingStats t{};
  for (auto _ : st) {
    t = time_cold(
        *timer,
        [&](int set, cudaStream_t sm) {
          VQT_CUDA_CHECK(cublas_gemv_fp16(cublas(), w[std::size_t(set)].get(), x.get(), y.get(),
                                          s.n, s.k, batch, sm));
        },
        sets, stream());
  }
  const double bytes = double(w_elems) * 2 + double(batch) * double(s.n + s.k) * 2;
  std::ostringstream problem;
  problem << s.model << " " << s.n << "x" << s.k << " b" << batch;
  record(st, problem.str(), "cublas_fp16", t, bytes, 2.0 * double(w_elems) * batch);
}

void bm_dequant(benchmark::State& st, Shape s, int batch, std::string preset) {
  VqData& d = vq_data(s, preset);
  auto timer = make_timer();
  TimingStats t{};
  for (auto _ : st) {
    t = time_cold(
        *timer,
        [&](int set, cudaStream_t sm) {
          VQT_CUDA_CHECK(vq_dequantize_fp16(d.args(set, batch), d.w.get(), sm));
          VQT_CUDA_CHECK(
              cublas_gemv_fp16(cublas(), d.w.get(), d.x.get(), d.y.get(), s.n, s.k, batch, sm));
        },
        d.sets, stream());
  }
  record(st, problem_name(s, batch, preset), "dequant_cublas", t,
         double(d.layout.compulsory_bytes(batch, d.f)), 2.0 * double(s.n * s.k) * batch);
}

// --- the fused kernel -------------------------------------------------------------------------

// The placements tried for a format (the global one first).
std::vector<GemvParams> placements(const GemvFormat& f, bool quick) {
  std::vector<GemvParams> out;
  GemvParams g;
  out.push_back(g);
  const int stored = f.stored_entries();
  const int entry_bytes = 2 * f.vec_size;
  for (int copies = 1; copies * entry_bytes <= 128; copies *= 2) {
    if (quick && copies != 1 && copies * entry_bytes != 128) continue;
    for (std::size_t budget : {std::size_t(100) << 10, std::size_t(200) << 10}) {
      int n = 1;
      while (n * 2 <= stored &&
             std::size_t(f.residuals) * std::size_t(n * 2) * std::size_t(copies * entry_bytes) <=
                 budget)
        n *= 2;
      if (n < 32) continue;
      GemvParams p;
      p.n_smem = n;
      p.smem_copies = copies;
      out.push_back(p);
      if (n == stored) break;  // the larger budget adds nothing
    }
  }
  // Registers for the 4 hottest on top of the first full-copies smem placement.
  for (const auto& p : std::vector<GemvParams>(out)) {
    if (p.n_smem > 0 && p.smem_copies * entry_bytes == 128) {
      GemvParams r = p;
      r.n_reg = 4;
      out.push_back(r);
      break;
    }
  }
  return out;
}

// Parses GemvParams::key() ("reg=0,smem=256,copies=8,bypass=0,split_k=1,warps=4,bps=0").
GemvParams parse_params(const std::string& key) {
  GemvParams p;
  for (const std::string& kv : split_list(key)) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos) throw InputError("--gemv_params: '" + kv + "' is not name=value");
    const std::string k = kv.substr(0, eq);
    const int v = std::stoi(kv.substr(eq + 1));
    if (k == "reg")
      p.n_reg = v;
    else if (k == "smem")
      p.n_smem = v;
    else if (k == "copies")
      p.smem_copies = v;
    else if (k == "bypass")
      p.l1_bypass = v != 0;
    else if (k == "split_k")
      p.split_k = v;
    else if (k == "warps")
      p.warps = v;
    else if (k == "bps")
      p.blocks_per_sm = v;
    else
      throw InputError("--gemv_params: unknown field '" + k + "'");
  }
  return p;
}

struct Tried {
  GemvParams p;
  TimingStats t;
  double err = 0;
};

Tried time_params(VqData& d, int batch, GemvParams p) {
  auto timer = make_timer();
  ColdRunConfig cfg;
  cfg.max_time_s = 0.1;
  Tried r{p, {}, 0};
  r.t = time_cold(
      *timer, [&](int set, cudaStream_t sm) { VQT_CUDA_CHECK(vq_gemv(d.args(set, batch), p, sm)); },
      d.sets, stream(), cfg);
  // Check set 0 (the reference's).
  d.y.fill_bytes(0xFF, stream());
  VQT_CUDA_CHECK(vq_gemv(d.args(0, batch), p, stream()));
  VQT_CUDA_CHECK(cudaStreamSynchronize(stream()));
  r.err = check_output(d, batch);
  return r;
}

// Searches split_k x warps for fixed placement fields; returns the best valid one.
Tried search_split(VqData& d, int batch, GemvParams base, bool quick, std::vector<Tried>& log) {
  const GemvDevice dev = gemv_device(0);
  Tried best{};
  best.t.median_s = INFINITY;
  std::vector<int> warps_list = quick ? std::vector<int>{4, 16} : std::vector<int>{2, 4, 8, 16};
  for (int warps : warps_list) {
    GemvParams p = base;
    p.warps = warps;
    const int h = gemv_pick_split_k(d.args(0, batch), p);
    std::vector<int> splits = {h};
    if (!quick) {
      if (h / 2 >= 1 && h / 2 != h) splits.push_back(h / 2);
      splits.push_back(h * 2);
    }
    for (int sk : splits) {
      p.split_k = sk;
      if (!can_implement(d.f, batch, p, dev).empty()) continue;
      Tried r = time_params(d, batch, p);
      log.push_back(r);
      if (r.err < 1e-2 && r.t.median_s < best.t.median_s) best = r;
    }
  }
  return best;
}

void bm_vq(benchmark::State& st, Shape s, int batch, std::string preset, bool global_only) {
  VqData& d = vq_data(s, preset);
  const std::string problem = problem_name(s, batch, preset);
  std::vector<Tried> log;
  Tried best{};
  best.t.median_s = INFINITY;
  for (auto _ : st) {
    if (!g_opt.only_params.empty()) {
      const GemvParams p = parse_params(g_opt.only_params);
      if (!global_only) {
        Tried r = time_params(d, batch, p);
        log.push_back(r);
        best = r;
      }
      continue;
    }
    for (const GemvParams& p : placements(d.f, g_opt.quick_search)) {
      if (global_only != (p.n_smem == 0)) continue;
      Tried r = search_split(d, batch, p, g_opt.quick_search, log);
      if (r.t.median_s < best.t.median_s) best = r;
    }
  }
  for (const auto& r : log)
    std::printf("  search %-36s %-62s %9.2f us  err %.1e\n", problem.c_str(), r.p.key().c_str(),
                r.t.median_s * 1e6, r.err);
  if (!std::isfinite(best.t.median_s)) {
    st.SkipWithError("no valid candidate");
    return;
  }
  st.counters["rel_err"] = best.err;
  const std::string variant = global_only ? "vq_global" : "vq_best";
  record(st, problem, variant, best.t, double(d.layout.compulsory_bytes(batch, d.f)),
         2.0 * double(s.n * s.k) * batch, best.p.key());
  // Remember which params won (for the table).
  results().add({problem, variant + "_params:" + best.p.key(), best.t, 0, 0});
}

bool wanted(const std::vector<std::string>& list, const std::string& x) {
  return std::find(list.begin(), list.end(), x) != list.end();
}

void register_all() {
  for (const Shape& s : kShapes) {
    if (!wanted(g_opt.models, s.model)) continue;
    for (int batch : g_opt.batches) {
      std::ostringstream base;
      base << "gemv/" << s.model << "/" << s.n << "x" << s.k << "/b" << batch;
      benchmark::RegisterBenchmark((base.str() + "/cublas_fp16").c_str(), bm_cublas, s, batch)
          ->UseManualTime()
          ->Iterations(1)
          ->Unit(benchmark::kMicrosecond);
      for (const std::string& preset : g_opt.presets) {
        const std::string b = base.str() + "/" + preset;
        benchmark::RegisterBenchmark((b + "/dequant_cublas").c_str(), bm_dequant, s, batch, preset)
            ->UseManualTime()
            ->Iterations(1)
            ->Unit(benchmark::kMicrosecond);
        benchmark::RegisterBenchmark((b + "/vq_global").c_str(), bm_vq, s, batch, preset, true)
            ->UseManualTime()
            ->Iterations(1)
            ->Unit(benchmark::kMicrosecond);
        benchmark::RegisterBenchmark((b + "/vq_best").c_str(), bm_vq, s, batch, preset, false)
            ->UseManualTime()
            ->Iterations(1)
            ->Unit(benchmark::kMicrosecond);
      }
    }
  }
}

void print_table() {
  const ResultTable& r = results();
  std::printf("\n## VQ GEMV summary (%s; copy bandwidth %.0f GB/s, read+write; timer: %s)\n\n",
              g_dev.describe().c_str(), g_copy_bw * 1e-9, timer_name());
  std::printf(
      "| problem | cuBLAS us | dq+cuBLAS us | global us | best us | x cuBLAS | x global | "
      "GB/s | of copy BW | best params |\n|---|---|---|---|---|---|---|---|---|---|\n");
  std::vector<double> geo;
  for (const Shape& s : kShapes) {
    if (!wanted(g_opt.models, s.model)) continue;
    for (int batch : g_opt.batches) {
      std::ostringstream cb;
      cb << s.model << " " << s.n << "x" << s.k << " b" << batch;
      const double t_cublas = r.median_s(cb.str(), "cublas_fp16");
      for (const std::string& preset : g_opt.presets) {
        const std::string p = problem_name(s, batch, preset);
        const double t_dq = r.median_s(p, "dequant_cublas");
        const double t_gl = r.median_s(p, "vq_global");
        const double t_best = r.median_s(p, "vq_best");
        double bytes = 0;
        std::string params;
        for (const auto& row : r.rows()) {
          if (row.problem == p && row.variant == "vq_best") bytes = row.bytes;
          if (row.problem == p && row.variant.rfind("vq_best_params:", 0) == 0)
            params = row.variant.substr(15);
        }
        if (t_best <= 0) continue;
        const double best = t_gl > 0 ? std::min(t_best, t_gl) : t_best;
        if (t_gl > 0) geo.push_back(t_gl / best);
        std::printf("| %s | %.1f | %.1f | %.1f | %.1f | %.2f | %.2f | %.0f | %.0f%% | %s |\n",
                    p.c_str(), t_cublas * 1e6, t_dq * 1e6, t_gl * 1e6, best * 1e6, t_cublas / best,
                    t_gl > 0 ? t_gl / best : 0.0, bytes / best * 1e-9,
                    100.0 * bytes / best / g_copy_bw, params.c_str());
      }
    }
  }
  double lg = 0;
  for (double x : geo) lg += std::log(x);
  if (!geo.empty())
    std::printf("\nbest placement vs codebook-in-global: geometric mean %.2fx over %zu problems\n",
                std::exp(lg / double(geo.size())), geo.size());
}

}  // namespace
}  // namespace vqt::bench

int main(int argc, char** argv) {
  using namespace vqt::bench;
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    auto val = [&](const char* flag) -> const char* {
      const std::string f = std::string(flag) + "=";
      return a.rfind(f, 0) == 0 ? argv[i] + f.size() : nullptr;
    };
    if (const char* v = val("--gemv_models")) {
      g_opt.models = split_list(v);
    } else if (const char* v2 = val("--gemv_presets")) {
      g_opt.presets = split_list(v2);
    } else if (const char* v3 = val("--gemv_batches")) {
      g_opt.batches.clear();
      for (const auto& b : split_list(v3)) g_opt.batches.push_back(std::stoi(b));
    } else if (const char* v5 = val("--gemv_params")) {
      g_opt.only_params = v5;
    } else if (const char* v4 = val("--gemv_search")) {
      g_opt.quick_search = std::string(v4) == "quick";
    } else {
      rest.push_back(argv[i]);
    }
  }
  int n = int(rest.size());
  benchmark::Initialize(&n, rest.data());
  try {
    g_dev = device_info(0);
    g_copy_bw = measure_copy_bw_bytes_per_s();
    std::printf("device: %s\ncopy bandwidth (cudaMemcpy D2D 1 GiB, read+write): %.0f GB/s\n",
                g_dev.describe().c_str(), g_copy_bw * 1e-9);
    std::printf("timer: %s\n", timer_name());
    if (!timer_fallback_reason().empty())
      std::printf("CUPTI not used: %s\n", timer_fallback_reason().c_str());
    benchmark::AddCustomContext("timer", timer_name());
    register_all();
    benchmark::RunSpecifiedBenchmarks();
    print_table();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_gemv: %s\n", e.what());
    return 1;
  }
  benchmark::Shutdown();
  return 0;
}
