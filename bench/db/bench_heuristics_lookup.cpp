// Heuristics lookup after loading: exact bucket, nearest bucket, and none (unknown VQ config), on a
// table of realistic size (~2,700 rows: gemv/gemm over 5 VQ configs and 5-8 batch buckets x 6 x 6
// power-of-two n, k; attention over 2 KV formats, 7 batches, 3 head layouts, 9 contexts).
// Queries are drawn at random from precomputed shapes, so branch prediction and caches see a mix.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>

#include <random>

#include "db/fixture.hpp"
#include "db/heuristics.hpp"

using namespace vqt;
using namespace vqt::db;

namespace {

HeuristicRow make_row(const Problem& p, int salt) {
  HeuristicRow r;
  r.gpu_key = "h100-sxm";
  r.op = to_string(p.op);
  r.vq_key = p.vq.key();
  const ShapeBucket b = bucket_of(p);
  for (int i = 0; i < kBucketDims; ++i) r.dims[i] = b.dims[i];
  r.bucket = bucket_key(p.op, b);
  r.candidate.n_smem = 256 * (salt % 16);
  r.candidate.threads = salt % 2 ? 256 : 128;
  r.candidate_key = r.candidate.key();
  r.problem = p;
  r.measured_s = 1e-5;
  return r;
}

struct Table {
  Heuristics heuristics;
  std::vector<Problem> on_bucket, off_bucket;
  std::vector<std::string> on_keys, off_keys;
};

const Table& table() {
  static const Table t = [] {
    Table tb;
    std::vector<HeuristicRow> rows;
    int salt = 0;
    for (const char* vq : {"aqlm-3", "quip#-4", "aqlm-2x8", "aqlm-1x16", "gptvq-2"})
      for (Op op : {Op::gemv, Op::gemm})
        for (std::int64_t m = op == Op::gemv ? 1 : 32; m <= (op == Op::gemv ? 16 : 4096); m *= 2)
          for (std::int64_t n = 1024; n <= 32768; n *= 2)
            for (std::int64_t k = 1024; k <= 32768; k *= 2) {
              Problem p;
              p.op = op;
              p.vq = parse_vq(vq);
              p.m = m;
              p.n = n;
              p.k = k;
              rows.push_back(make_row(p, salt++));
            }
    for (const char* vq : {"cq-4", "cq-2"})
      for (std::int64_t b = 1; b <= 64; b *= 2)
        for (auto [hq, hkv] : {std::pair<int, int>{32, 8}, {64, 8}, {32, 32}})
          for (std::int64_t ctx = 512; ctx <= 65536 * 2; ctx *= 2) {
            Problem p;
            p.op = Op::attention_decode;
            p.vq = parse_vq(vq);
            p.batch = b;
            p.q_heads = hq;
            p.kv_heads = hkv;
            p.head_dim = 128;
            p.context = ctx;
            rows.push_back(make_row(p, salt++));
          }
    tb.heuristics = Heuristics::from_rows(rows);
    std::mt19937_64 rng(42);
    for (int i = 0; i < 4096; ++i) {
      Problem p = rows[rng() % rows.size()].problem;
      tb.on_bucket.push_back(p);
      tb.on_keys.push_back(p.vq.key());
      // Off every bucket: a context / n beyond the table's range.
      if (p.op == Op::attention_decode)
        p.context = 1 << 20;
      else
        p.n = 1 << 20;
      tb.off_bucket.push_back(p);
      tb.off_keys.push_back(p.vq.key());
    }
    return tb;
  }();
  return t;
}

void run(benchmark::State& state, const std::vector<Problem>& qs,
         const std::vector<std::string>& keys, Heuristics::Source expect) {
  const Heuristics& h = table().heuristics;
  std::size_t i = 0;
  for (auto _ : state) {
    const auto r = h.lookup(qs[i].op, keys[i], qs[i]);
    benchmark::DoNotOptimize(r.entry);
    if (r.source != expect) state.SkipWithError("unexpected lookup source");
    i = (i + 1) & 4095;
  }
  state.counters["rows"] = double(h.size());
}

void BM_LookupExact(benchmark::State& state) {
  run(state, table().on_bucket, table().on_keys, Heuristics::Source::exact);
}
void BM_LookupNearest(benchmark::State& state) {
  run(state, table().off_bucket, table().off_keys, Heuristics::Source::nearest);
}
void BM_LookupNone(benchmark::State& state) {
  const std::vector<std::string> unknown(4096, "v16b4r4:per_tensor");
  run(state, table().on_bucket, unknown, Heuristics::Source::none);
}
// lookup(Problem) builds the VQ key string on every call: the convenience costs this much more.
void BM_LookupByProblem(benchmark::State& state) {
  const Heuristics& h = table().heuristics;
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(h.lookup(table().on_bucket[i]).entry);
    i = (i + 1) & 4095;
  }
}
// Loading the demo fixture's rows for one GPU from an SQLite file (open, read, close).
void BM_LoadFromFile(benchmark::State& state) {
  const std::string path = "/tmp/vqt-bench-heuristics-" + std::to_string(::getpid()) + ".db";
  std::remove(path.c_str());
  {
    Repository repo = Repository::open(path, Access::create);
    fill_demo_fixture(repo);
  }
  for (auto _ : state) benchmark::DoNotOptimize(Heuristics::load(path, "h100-sxm").size());
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
}

}  // namespace

BENCHMARK(BM_LookupExact);
BENCHMARK(BM_LookupNearest);
BENCHMARK(BM_LookupNone);
BENCHMARK(BM_LookupByProblem);
BENCHMARK(BM_LoadFromFile)->Unit(benchmark::kMicrosecond);
BENCHMARK_MAIN();
