// CUPTI activity-record implementation of RegionTimer (see timer.hpp). Compiled only with
// VQT_ENABLE_CUPTI. Activity buffers are process-wide: one collector, started once, records every
// kernel, memcpy and memset; a region keeps what was launched between its begin() and end().
//
// Which records are the region's is decided by correlation id, not by time: begin() enqueues a
// 4-byte marker memset, and a region keeps the records whose correlation id is above the marker's
// (ids grow with every API call). Comparing record timestamps with a CPU timestamp taken in
// begin() lost whole regions early in a process, when CUPTI's GPU-to-CPU clock mapping still
// moves by more than the few us between begin() and the first launch: "saw no work" timeouts in
// the first minute (bench/results/gpu-check-2026-11-22-s5.md, gpu-check-2026-12-07-s13.md).
#include <cupti.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "kernels/cuda_check.hpp"
#include "profiler/stats.hpp"
#include "profiler/timer.hpp"

namespace vqt::profiler {

namespace {

void cupti_check(CUptiResult r, const char* call) {
  if (r == CUPTI_SUCCESS) return;
  const char* text = nullptr;
  cuptiGetResultString(r, &text);
  throw Error(std::string("CUPTI: ") + call + ": " + (text ? text : "unknown error"));
}
#define VQT_CUPTI_CALL(call) cupti_check((call), #call)

// begin()'s marker: a memset of this many bytes with this value (no kernel's memset looks so).
constexpr std::uint64_t kMarkerBytes = 4;
constexpr std::uint32_t kMarkerValue = 0x7d;

struct Record {
  Interval interval;
  std::uint32_t correlation_id = 0;
  bool marker = false;
};

struct Collector {
  std::mutex mu;
  std::vector<Record> activities;
  std::size_t dropped = 0;
  std::size_t bad_timestamps = 0;
  bool started = false;
  std::string start_error;
  // Reused activity buffers: freeing and allocating a fresh 4 MiB buffer after every flush cost
  // ~200 us of page faults inside the next launch (seen on the H100: inflated gaps and event
  // times), so completed buffers go back to this pool, touched once.
  std::mutex pool_mu;
  std::vector<std::uint8_t*> pool;

  static Collector& get() {
    static Collector c;
    return c;
  }
};

constexpr std::size_t kBufferBytes = 4u << 20;

std::uint8_t* new_buffer() {
  auto* b = static_cast<std::uint8_t*>(std::aligned_alloc(8, kBufferBytes));
  if (b) std::memset(b, 0, kBufferBytes);  // fault the pages in now, not inside a launch
  return b;
}

void CUPTIAPI buffer_requested(std::uint8_t** buffer, std::size_t* size, std::size_t* max_records) {
  Collector& c = Collector::get();
  std::uint8_t* b = nullptr;
  {
    std::lock_guard<std::mutex> lock(c.pool_mu);
    if (!c.pool.empty()) {
      b = c.pool.back();
      c.pool.pop_back();
    }
  }
  if (!b) b = new_buffer();
  *buffer = b;
  *size = b ? kBufferBytes : 0;
  *max_records = 0;
}

void CUPTIAPI buffer_completed(CUcontext ctx, std::uint32_t stream_id, std::uint8_t* buffer,
                               std::size_t /*size*/, std::size_t valid_size) {
  Collector& c = Collector::get();
  std::vector<Record> got;
  CUpti_Activity* rec = nullptr;
  std::size_t bad = 0;
  while (valid_size > 0 && cuptiActivityGetNextRecord(buffer, valid_size, &rec) == CUPTI_SUCCESS) {
    Record r;
    switch (rec->kind) {
      case CUPTI_ACTIVITY_KIND_KERNEL:
      case CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL: {
        const auto* k = reinterpret_cast<const CUpti_ActivityKernel10*>(rec);
        r.interval = {k->start, k->end};
        r.correlation_id = k->correlationId;
        break;
      }
      case CUPTI_ACTIVITY_KIND_MEMCPY: {
        const auto* m = reinterpret_cast<const CUpti_ActivityMemcpy6*>(rec);
        r.interval = {m->start, m->end};
        r.correlation_id = m->correlationId;
        break;
      }
      case CUPTI_ACTIVITY_KIND_MEMSET: {
        const auto* m = reinterpret_cast<const CUpti_ActivityMemset4*>(rec);
        r.interval = {m->start, m->end};
        r.correlation_id = m->correlationId;
        r.marker = m->bytes == kMarkerBytes && m->value == kMarkerValue;
        break;
      }
      default:
        continue;
    }
    if (r.interval.start_ns == 0 || r.interval.end_ns < r.interval.start_ns) {
      ++bad;
      continue;
    }
    got.push_back(r);
  }
  std::size_t dropped = 0;
  cuptiActivityGetNumDroppedRecords(ctx, stream_id, &dropped);
  {
    std::lock_guard<std::mutex> lock(c.pool_mu);
    c.pool.push_back(buffer);
  }
  std::lock_guard<std::mutex> lock(c.mu);
  c.activities.insert(c.activities.end(), got.begin(), got.end());
  c.dropped += dropped;
  c.bad_timestamps += bad;
}

void start_collector() {
  Collector& c = Collector::get();
  {
    std::lock_guard<std::mutex> lock(c.mu);
    if (c.started) return;
    if (!c.start_error.empty()) throw Error(c.start_error);
  }
  {
    std::lock_guard<std::mutex> lock(c.pool_mu);
    for (int i = 0; i < 4; ++i)
      if (std::uint8_t* b = new_buffer()) c.pool.push_back(b);
  }
  try {
    VQT_CUDA_CHECK(cudaFree(nullptr));  // create the context before CUPTI attaches
    VQT_CUPTI_CALL(cuptiActivityRegisterCallbacks(buffer_requested, buffer_completed));
    VQT_CUPTI_CALL(cuptiActivityEnable(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL));
    VQT_CUPTI_CALL(cuptiActivityEnable(CUPTI_ACTIVITY_KIND_MEMCPY));
    VQT_CUPTI_CALL(cuptiActivityEnable(CUPTI_ACTIVITY_KIND_MEMSET));
  } catch (const std::exception& e) {
    std::lock_guard<std::mutex> lock(c.mu);
    c.start_error = e.what();
    throw;
  }
  std::lock_guard<std::mutex> lock(c.mu);
  c.started = true;
}

class CuptiTimer : public RegionTimer {
 public:
  CuptiTimer() { VQT_CUDA_CHECK(cudaMalloc(&marker_, kMarkerBytes)); }
  ~CuptiTimer() override { cudaFree(marker_); }
  CuptiTimer(const CuptiTimer&) = delete;
  CuptiTimer& operator=(const CuptiTimer&) = delete;

  TimerKind kind() const override { return TimerKind::cupti; }

  // No forced flush here: the first launch after a forced flush blocks the host ~340 us inside
  // CUPTI and submits its kernel part-way through (bench/results/NOTES-profiler.md), which left
  // 37-230 us gaps after a region's first kernel. Work finished before begin() is told apart by
  // the marker's correlation id instead, and the marker, launched before the synchronisation, is
  // where the block after end()'s flush lands when nothing else came between (the L2 flush).
  void begin(cudaStream_t stream) override {
    VQT_CUDA_CHECK(cudaMemsetAsync(marker_, int(kMarkerValue), kMarkerBytes, stream));
    VQT_CUDA_CHECK(cudaDeviceSynchronize());
    std::uint64_t now = 0;
    VQT_CUPTI_CALL(cuptiGetTimestamp(&now));
    Collector& c = Collector::get();
    std::lock_guard<std::mutex> lock(c.mu);
    c.activities.clear();
    c.dropped = 0;
    c.bad_timestamps = 0;
    region_start_ns_ = now;
  }

  RegionTiming end(cudaStream_t) override {
    VQT_CUDA_CHECK(cudaDeviceSynchronize());
    VQT_CUDA_CHECK(cudaGetLastError());
    VQT_CUPTI_CALL(cuptiActivityFlushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED));
    Collector& c = Collector::get();
    std::vector<Record> recs;
    {
      std::lock_guard<std::mutex> lock(c.mu);
      if (c.dropped > 0) throw Error("CUPTI dropped " + std::to_string(c.dropped) + " records");
      if (c.bad_timestamps > 0)
        throw Error("CUPTI returned " + std::to_string(c.bad_timestamps) +
                    " records without timestamps");
      recs.swap(c.activities);
    }
    // Records of work launched before begin() (delivered by this flush) are not the region's:
    // those up to the marker's correlation id. Without the marker (a buffer CUPTI delivered on
    // its own between the marker and begin()'s clear), the CPU timestamp decides, as before.
    std::uint32_t marker_id = 0;
    bool anchored = false;
    for (const Record& r : recs)
      if (r.marker && (!anchored || r.correlation_id > marker_id)) {
        marker_id = r.correlation_id;
        anchored = true;
      }
    std::vector<Interval> acts;
    for (const Record& r : recs) {
      if (r.marker) continue;
      const bool in_region =
          anchored ? r.correlation_id > marker_id : r.interval.start_ns >= region_start_ns_;
      if (in_region) acts.push_back(r.interval);
    }
    std::sort(acts.begin(), acts.end(),
              [](const Interval& a, const Interval& b) { return a.start_ns < b.start_ns; });
    last_ = acts;
    return timing_of(std::move(acts));
  }

  const std::vector<Interval>& last_intervals() const override { return last_; }

  static RegionTiming timing_of(std::vector<Interval> acts) {
    const IntervalSummary i = summarize_intervals(std::move(acts));
    RegionTiming t;
    t.busy_s = i.busy_s;
    t.span_s = i.span_s;
    t.gap_s = i.gap_s;
    t.activities = i.count;
    return t;
  }

 private:
  void* marker_ = nullptr;
  std::vector<Interval> last_;
  std::uint64_t region_start_ns_ = 0;
};

}  // namespace

std::unique_ptr<RegionTimer> make_cupti_timer() {
  start_collector();
  auto timer = std::make_unique<CuptiTimer>();
  // Probe: a memset must come back as one activity record, else CUPTI is not usable here.
  void* probe = nullptr;
  VQT_CUDA_CHECK(cudaMalloc(&probe, 4096));
  timer->begin(nullptr);
  const cudaError_t set = cudaMemsetAsync(probe, 0x5a, 4096, nullptr);
  RegionTiming t{};
  std::string err;
  try {
    t = timer->end(nullptr);
  } catch (const std::exception& e) {
    err = e.what();
  }
  cudaFree(probe);
  VQT_CUDA_CHECK(set);
  if (!err.empty()) throw Error(err);
  if (t.activities != 1)
    throw Error("CUPTI probe: expected 1 activity record for a memset, got " +
                std::to_string(t.activities));
  return timer;
}

}  // namespace vqt::profiler
