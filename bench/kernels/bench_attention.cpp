// Decode-attention benchmark: our fp16 flash-decoding and the CQ kernels (cq-4, cq-2) over
// 32 heads of 128, batch 1 and 8, contexts 4k and 32k, each over a small sweep of launch
// parameters; cold cache (KV sets rotated over > 2x L2), the harness's timer (CUPTI, else
// cudaEvents; its name heads the output and fills the CSV's timer column), the
// device-to-device copy bandwidth of the same run as the ceiling. PyTorch SDPA is timed by
// bench/scripts/sdpa_baseline.py in the same device call.
//
// Usage: bench_attention [--csv out.csv] [--quick] [--only FORMAT:BATCH:CONTEXT]
//   --quick  default launch parameters only; --only e.g. cq-4:8:32768 (for ncu). Prints a
//   markdown table last.
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "bench/kernels/bench_attention_fill.hpp"
#include "bench/kernels/harness.hpp"
#include "kernels/attention_decode.hpp"
#include "kernels/cuda_check.hpp"
#include "kernels/device_tensor.hpp"

namespace vqt::bench {
namespace {

struct Row {
  std::string shape, format, params;
  TimingStats t;
  double bytes = 0;
};

const char* format_name(const AttentionShape& s) {
  return s.format == KvFormat::fp16 ? "fp16" : s.vec_size == 2 ? "cq-4" : "cq-2";
}

std::vector<AttentionParams> sweep(const AttentionShape& s, int sms, bool quick) {
  std::vector<AttentionParams> ps{default_attention_params(s, sms)};
  if (quick) return ps;
  for (int threads : {256, 512})
    for (int per : {512, 1024, 2048, 4096, 8192}) {
      if (per > s.context) continue;
      AttentionParams p;
      p.threads = threads;
      p.tokens_per_split = per;
      ps.push_back(p);
    }
  return ps;
}

void run_shape(AttentionShape s, const DeviceInfo& dev, bool quick, std::vector<Row>& rows) {
  const std::size_t q_elems = std::size_t(s.batch) * s.q_heads * s.head_dim;
  const std::size_t kv_tokens = std::size_t(s.batch) * s.kv_heads * std::size_t(s.capacity);
  std::size_t set_bytes = 0;
  if (s.format == KvFormat::fp16) {
    set_bytes = 2 * kv_tokens * s.head_dim * 2;
  } else {
    set_bytes = 2 * kv_tokens * std::size_t(s.head_dim / s.vec_size);
  }
  const int sets = rotation_sets(set_bytes, dev.l2_bytes);
  // fp16 KV / codes per set; codebooks are shared by the sets (one model, several sequences).
  std::vector<DeviceBuffer<std::uint16_t>> kh, vh;
  std::vector<DeviceBuffer<std::uint8_t>> kc, vc;
  DeviceBuffer<std::uint16_t> kb, vb;
  DeviceBuffer<std::uint16_t> q(q_elems * std::size_t(sets)), out(q_elems * std::size_t(sets));
  VQT_CUDA_CHECK(fill_random_half(q.get(), q.size(), 1, 2.0f));
  double bytes = 2.0 * double(q_elems) * 2.0;  // q in, out written
  for (int i = 0; i < sets; ++i) {
    const auto seed = std::uint64_t(100 + 10 * i);
    if (s.format == KvFormat::fp16) {
      kh.emplace_back(kv_tokens * s.head_dim);
      vh.emplace_back(kv_tokens * s.head_dim);
      VQT_CUDA_CHECK(fill_random_half(kh.back().get(), kh.back().size(), seed, 1.0f));
      VQT_CUDA_CHECK(fill_random_half(vh.back().get(), vh.back().size(), seed + 1, 1.0f));
    } else {
      const std::size_t n = kv_tokens * std::size_t(s.head_dim / s.vec_size);
      kc.emplace_back(n);
      vc.emplace_back(n);
      VQT_CUDA_CHECK(fill_random_bytes(kc.back().get(), n, seed));
      VQT_CUDA_CHECK(fill_random_bytes(vc.back().get(), n, seed + 1));
    }
  }
  if (s.format == KvFormat::cq) {
    const std::size_t n = std::size_t(s.kv_heads) * 256 * s.head_dim;
    kb = DeviceBuffer<std::uint16_t>(n);
    vb = DeviceBuffer<std::uint16_t>(n);
    VQT_CUDA_CHECK(fill_random_half(kb.get(), n, 7, 1.0f));
    VQT_CUDA_CHECK(fill_random_half(vb.get(), n, 8, 1.0f));
    bytes += 2.0 * double(n) * 2.0;
  }
  // Compulsory bytes of one call: the context's KV (or codes), not the allocated capacity.
  bytes += double(set_bytes) * double(s.context) / double(s.capacity);
  VQT_CUDA_CHECK(cudaDeviceSynchronize());

  const std::string shape = "b" + std::to_string(s.batch) + " h" + std::to_string(s.q_heads) + "x" +
                            std::to_string(s.head_dim) + " ctx" + std::to_string(s.context);
  cudaStream_t stream;
  VQT_CUDA_CHECK(cudaStreamCreate(&stream));
  auto timer = make_timer();
  for (const AttentionParams& p : sweep(s, dev.sm_count, quick)) {
    const AttentionSupport ok = can_implement_attention(s, p);
    if (!ok) {
      std::fprintf(stderr, "skip %s %s: %s\n", shape.c_str(), p.key().c_str(), ok.reason.c_str());
      continue;
    }
    DeviceBuffer<unsigned char> ws(std::max<std::size_t>(1, attention_workspace_bytes(s, p)));
    LaunchFn launch = [&](int set, cudaStream_t st) {
      const std::size_t qo = q_elems * std::size_t(set);
      cudaError_t err;
      if (s.format == KvFormat::fp16)
        err = attention_decode_fp16(s, p, q.get() + qo, kh[std::size_t(set)].get(),
                                    vh[std::size_t(set)].get(), out.get() + qo, ws.get(),
                                    ws.bytes(), st);
      else
        err = attention_decode_cq(
            s, p, q.get() + qo,
            CqKvView{kc[std::size_t(set)].get(), vc[std::size_t(set)].get(), kb.get(), vb.get()},
            out.get() + qo, ws.get(), ws.bytes(), st);
      VQT_CUDA_CHECK(err);
    };
    const TimingStats t = time_cold(*timer, launch, sets, stream);
    rows.push_back({shape, format_name(s), p.key(), t, bytes});
    std::fprintf(stderr, "%s %s %s: %.2f us (%.0f GB/s, rsd %.3f, n %d)\n", shape.c_str(),
                 format_name(s), p.key().c_str(), t.median_s * 1e6, bytes / t.median_s * 1e-9,
                 t.rel_stdev, t.count);
  }
  VQT_CUDA_CHECK(cudaStreamDestroy(stream));
}

}  // namespace
}  // namespace vqt::bench

int main(int argc, char** argv) {
  using namespace vqt;
  using namespace vqt::bench;
  std::string csv;
  bool quick = false;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--csv") && i + 1 < argc)
      csv = argv[++i];
    else if (!std::strcmp(argv[i], "--only") && i + 1 < argc)
      only = argv[++i];
    else if (!std::strcmp(argv[i], "--quick"))
      quick = true;
    else {
      std::fprintf(stderr,
                   "usage: bench_attention [--csv out.csv] [--quick] [--only cq-4:8:32768]\n");
      return 2;
    }
  }
  try {
    const DeviceInfo dev = device_info();
    const double copy_bw = measure_copy_bw_bytes_per_s();
    std::printf("# %s\n# device-to-device copy: %.0f GB/s (read + write)\n", dev.describe().c_str(),
                copy_bw * 1e-9);
    std::printf("# timer: %s\n", timer_name());
    if (!timer_fallback_reason().empty())
      std::printf("# CUPTI not used: %s\n", timer_fallback_reason().c_str());
    std::vector<Row> rows;
    for (int batch : {1, 8})
      for (std::int64_t ctx : {4096, 32768})
        for (int fmt = 0; fmt < 3; ++fmt) {
          AttentionShape s;
          s.batch = batch;
          s.q_heads = s.kv_heads = 32;
          s.head_dim = 128;
          s.context = ctx;
          s.capacity = ctx;
          s.format = fmt == 0 ? KvFormat::fp16 : KvFormat::cq;
          s.vec_size = fmt == 1 ? 2 : 4;
          const std::string tag =
              std::string(format_name(s)) + ":" + std::to_string(batch) + ":" + std::to_string(ctx);
          if (!only.empty() && only != tag) continue;
          run_shape(s, dev, quick, rows);
        }
    if (!csv.empty()) {
      std::ofstream f(csv);
      f << "shape,format,params,median_us,min_us,max_us,rel_stdev,count,bytes,gb_per_s,timer\n";
      for (const auto& r : rows)
        f << r.shape << "," << r.format << ",\"" << r.params << "\"," << r.t.median_s * 1e6 << ","
          << r.t.min_s * 1e6 << "," << r.t.max_s * 1e6 << "," << r.t.rel_stdev << "," << r.t.count
          << "," << r.bytes << "," << r.bytes / r.t.median_s * 1e-9 << "," << timer_name() << "\n";
    }
    // Best variant of each (shape, format), with the default params' time beside it.
    std::printf("| shape | format | best params | median us | GB/s | %% of copy | default us |\n");
    std::printf("|---|---|---|---|---|---|---|\n");
    std::map<std::pair<std::string, std::string>, const Row*> best, dflt;
    std::vector<std::pair<std::string, std::string>> order;
    for (const auto& r : rows) {
      const auto key = std::make_pair(r.shape, r.format);
      if (!dflt.count(key)) {
        dflt[key] = &r;
        order.push_back(key);
      }
      if (!best.count(key) || r.t.median_s < best[key]->t.median_s) best[key] = &r;
    }
    for (const auto& key : order) {
      const Row& r = *best[key];
      std::printf("| %s | %s | %s | %.2f | %.0f | %.0f | %.2f |\n", r.shape.c_str(),
                  r.format.c_str(), r.params.c_str(), r.t.median_s * 1e6,
                  r.bytes / r.t.median_s * 1e-9, 100.0 * r.bytes / r.t.median_s / copy_bw,
                  dflt[key]->t.median_s * 1e6);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_attention: %s\n", e.what());
    return 1;
  }
  return 0;
}
