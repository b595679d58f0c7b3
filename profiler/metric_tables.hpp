// Metric names checked against a chip's metric tables with CUPTI's host API alone: no GPU, no
// driver call, no counters read. For planning a counter run on a machine without the GPU
// (`vqtune profile --check-metrics --chip GH100 --metrics ...`): a name the chip does not know
// would otherwise surface only on the GPU machine, after the data was built and the candidate
// timed.
#pragma once

#include <string>
#include <vector>

namespace vqt::profiler {

struct MetricCheck {
  std::string name;
  bool known = false;
  std::string description;  // CUPTI's, for a known name
};

// One entry per name, in order. Throws InputError when CUPTI has no metric tables for `chip`
// (chip names as CUPTI spells them: GH100 for H100 and H200, GA100 for A100, AD102, GB100, ...),
// CountersUnavailable when built without CUPTI.
std::vector<MetricCheck> check_metrics_for_chip(const std::string& chip,
                                                const std::vector<std::string>& names);

}  // namespace vqt::profiler
