#include "profiler/metric_tables.hpp"

#include <cstddef>

#ifdef VQT_HAVE_CUPTI
#include <cupti_profiler_host.h>
#endif

#include "profiler/counters.hpp"
#include "vq/error.hpp"

namespace vqt::profiler {

#ifdef VQT_HAVE_CUPTI

namespace {

template <class T>
T params(std::size_t struct_size) {
  T p{};
  p.structSize = struct_size;
  return p;
}

struct Host {
  CUpti_Profiler_Host_Object* object = nullptr;
  ~Host() {
    if (!object) return;
    auto p = params<CUpti_Profiler_Host_Deinitialize_Params>(
        CUpti_Profiler_Host_Deinitialize_Params_STRUCT_SIZE);
    p.pHostObject = object;
    cuptiProfilerHostDeinitialize(&p);
  }
};

// The description of `name`, or of its base metric (the name before the first '.', as
// CounterProfiler accepts it); false when the chip knows neither.
bool describe(CUpti_Profiler_Host_Object* host, const std::string& name, std::string& out) {
  for (const std::string& n : {name, name.substr(0, name.find('.'))}) {
    auto p = params<CUpti_Profiler_Host_GetMetricProperties_Params>(
        CUpti_Profiler_Host_GetMetricProperties_Params_STRUCT_SIZE);
    p.pHostObject = host;
    p.pMetricName = n.c_str();
    if (cuptiProfilerHostGetMetricProperties(&p) == CUPTI_SUCCESS) {
      out = p.pDescription ? p.pDescription : "";
      return true;
    }
  }
  return false;
}

}  // namespace

std::vector<MetricCheck> check_metrics_for_chip(const std::string& chip,
                                                const std::vector<std::string>& names) {
  Host host;
  auto init = params<CUpti_Profiler_Host_Initialize_Params>(
      CUpti_Profiler_Host_Initialize_Params_STRUCT_SIZE);
  init.profilerType = CUPTI_PROFILER_TYPE_RANGE_PROFILER;
  init.pChipName = chip.c_str();
  init.pCounterAvailabilityImage = nullptr;  // the chip's tables, not one GPU's availability
  if (chip.empty() || cuptiProfilerHostInitialize(&init) != CUPTI_SUCCESS || !init.pHostObject)
    throw InputError("--chip: CUPTI has no metric tables for chip '" + chip +
                     "' (chip names as CUPTI spells them, e.g. GH100 for H100 and H200, GA100 "
                     "for A100, AD102)");
  host.object = init.pHostObject;
  std::vector<MetricCheck> out;
  for (const auto& name : names) {
    MetricCheck c;
    c.name = name;
    c.known = describe(host.object, name, c.description);
    out.push_back(std::move(c));
  }
  return out;
}

#else  // !VQT_HAVE_CUPTI

std::vector<MetricCheck> check_metrics_for_chip(const std::string&,
                                                const std::vector<std::string>&) {
  throw CountersUnavailable(
      "metric tables are not available: built without CUPTI (VQT_ENABLE_CUPTI=OFF)");
}

#endif

}  // namespace vqt::profiler
