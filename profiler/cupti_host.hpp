// CUPTI host-API pieces shared by CounterProfiler (counters.cpp) and the offline metric check
// (metric_tables.cpp). Internal to profiler/; include only where VQT_HAVE_CUPTI is defined.
#pragma once

#include <cupti_profiler_host.h>

#include <cstddef>
#include <string>

namespace vqt::profiler::detail {

// A CUPTI parameter struct, zeroed, with its structSize set.
template <class T>
T zeroed_params(std::size_t struct_size) {
  T p{};
  p.structSize = struct_size;
  return p;
}
#define VQT_PARAMS(T) ::vqt::profiler::detail::zeroed_params<T>(T##_STRUCT_SIZE)

inline void free_host(CUpti_Profiler_Host_Object* h) {
  if (!h) return;
  auto p = VQT_PARAMS(CUpti_Profiler_Host_Deinitialize_Params);
  p.pHostObject = h;
  cuptiProfilerHostDeinitialize(&p);
}

// Whether the host object's chip knows metric `name`, or its base metric (the name before the
// first '.'); CUPTI's description into `description` when given.
inline bool metric_known(CUpti_Profiler_Host_Object* host, const std::string& name,
                         std::string* description = nullptr) {
  for (const std::string& n : {name, name.substr(0, name.find('.'))}) {
    auto p = VQT_PARAMS(CUpti_Profiler_Host_GetMetricProperties_Params);
    p.pHostObject = host;
    p.pMetricName = n.c_str();
    if (cuptiProfilerHostGetMetricProperties(&p) == CUPTI_SUCCESS) {
      if (description) *description = p.pDescription ? p.pDescription : "";
      return true;
    }
  }
  return false;
}

}  // namespace vqt::profiler::detail
