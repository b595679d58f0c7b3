#include "profiler/metric_tables.hpp"

#ifdef VQT_HAVE_CUPTI
#include <cupti_profiler_host.h>

#include "profiler/cupti_host.hpp"
#endif

#include "profiler/counters.hpp"
#include "vq/error.hpp"

namespace vqt::profiler {

#ifdef VQT_HAVE_CUPTI

std::vector<MetricCheck> check_metrics_for_chip(const std::string& chip,
                                                const std::vector<std::string>& names) {
  auto init = VQT_PARAMS(CUpti_Profiler_Host_Initialize_Params);
  init.profilerType = CUPTI_PROFILER_TYPE_RANGE_PROFILER;
  init.pChipName = chip.c_str();
  init.pCounterAvailabilityImage = nullptr;  // the chip's tables, not one GPU's availability
  if (chip.empty() || cuptiProfilerHostInitialize(&init) != CUPTI_SUCCESS || !init.pHostObject)
    throw InputError("--chip: CUPTI has no metric tables for chip '" + chip +
                     "' (chip names as CUPTI spells them, e.g. GH100 for H100 and H200, GA100 "
                     "for A100, AD102)");
  struct Host {
    CUpti_Profiler_Host_Object* object;
    ~Host() { detail::free_host(object); }
  } host{init.pHostObject};
  std::vector<MetricCheck> out;
  for (const auto& name : names) {
    MetricCheck c;
    c.name = name;
    c.known = detail::metric_known(host.object, name, &c.description);
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
