#include "profiler/launch_timer.hpp"

#include <string>

#include "kernels/cuda_check.hpp"

namespace vqt::profiler {

LaunchTimes::LaunchTimes() {
#ifdef VQT_HAVE_CUPTI
  timer_ = make_cupti_timer();
#else
  throw Error("built without CUPTI (VQT_ENABLE_CUPTI=OFF)");
#endif
}

std::vector<double> LaunchTimes::time_each(const LaunchFn& launch, int first_set, int n_sets,
                                           int reps, cudaStream_t stream) {
  timer_->begin(stream);
  for (int i = 0; i < reps; ++i) {
    launch((first_set + i) % n_sets, stream);
    const cudaError_t err = cudaGetLastError();
    if (err != cudaSuccess) {
      cudaDeviceSynchronize();
      VQT_CUDA_CHECK(err);
    }
  }
  timer_->end(stream);
  const auto& acts = timer_->last_intervals();
  per_launch_ = reps > 0 ? int(acts.size()) / reps : 0;
  return per_launch_busy_s(acts, reps);
}

}  // namespace vqt::profiler
