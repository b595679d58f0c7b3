// cudaEvent fallback of RegionTimer (see timer.hpp).
#include <memory>

#include "kernels/cuda_check.hpp"
#include "profiler/timer.hpp"

namespace vqt::profiler {

const char* to_string(TimerKind k) {
  return k == TimerKind::cupti ? "cupti" : "cuda_event";
}

namespace {

class EventTimer : public RegionTimer {
 public:
  EventTimer() {
    VQT_CUDA_CHECK(cudaEventCreate(&start_));
    VQT_CUDA_CHECK(cudaEventCreate(&stop_));
  }
  ~EventTimer() override {
    cudaEventDestroy(start_);
    cudaEventDestroy(stop_);
  }
  EventTimer(const EventTimer&) = delete;
  EventTimer& operator=(const EventTimer&) = delete;

  TimerKind kind() const override { return TimerKind::cuda_event; }
  void begin(cudaStream_t stream) override {
    VQT_CUDA_CHECK(cudaDeviceSynchronize());
    VQT_CUDA_CHECK(cudaEventRecord(start_, stream));
  }
  RegionTiming end(cudaStream_t stream) override {
    VQT_CUDA_CHECK(cudaEventRecord(stop_, stream));
    VQT_CUDA_CHECK(cudaEventSynchronize(stop_));
    VQT_CUDA_CHECK(cudaGetLastError());
    float ms = 0;
    VQT_CUDA_CHECK(cudaEventElapsedTime(&ms, start_, stop_));
    RegionTiming t;
    t.busy_s = t.span_s = double(ms) * 1e-3;
    t.activities = -1;
    return t;
  }

 private:
  cudaEvent_t start_{}, stop_{};
};

}  // namespace

std::unique_ptr<RegionTimer> make_event_timer() {
  return std::make_unique<EventTimer>();
}

std::unique_ptr<RegionTimer> make_region_timer(bool prefer_cupti, std::string* why_not_cupti) {
#ifdef VQT_HAVE_CUPTI
  if (prefer_cupti) {
    try {
      return make_cupti_timer();
    } catch (const std::exception& e) {
      if (why_not_cupti) *why_not_cupti = e.what();
    }
  } else if (why_not_cupti) {
    *why_not_cupti = "not requested";
  }
#else
  (void)prefer_cupti;
  if (why_not_cupti) *why_not_cupti = "built without CUPTI (VQT_ENABLE_CUPTI=OFF)";
#endif
  return make_event_timer();
}

}  // namespace vqt::profiler
