// `vqtune profile --check-metrics --chip CHIP [--metrics LIST] [--json]`: every metric name (the
// --metrics list, or the counters `vqtune profile` always reads) checked against CUPTI's tables
// for that chip, on this machine, without a GPU (profiler/metric_tables.hpp). Prints one row per
// name with CUPTI's description; exit 0 when the chip knows them all, 2 (after the table) when
// it does not, naming the unknown ones.
#pragma once

#include "cli/common.hpp"

namespace vqt::cli {

// True when the command line asks for the check (--check-metrics); --chip without it is an
// InputError (a profile run reads the chip of its GPU).
bool wants_metric_check(const po::variables_map& vm);
int run_metric_check(const po::variables_map& vm);

}  // namespace vqt::cli
