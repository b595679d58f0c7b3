// `vqtune profile` flags and their parsing into one problem (plain C++; every check runs before a
// GPU is touched, so bad input is one line and exit 2 on any machine).
//
//   --op gemv       --vq V --n N --k K [--batch 1..16]            (the default op)
//   --op gemm       --vq V --n N --k K --tokens M (M >= 32)       (prefill, as `vqtune tune`)
//   --op attention  --kv cq-4|cq-2 --context C [--batch B] and the heads: --model M (its query /
//                   KV heads and head_dim, as `vqtune tune`) or --heads Q/KV [--head-dim D]
// A flag of another op is refused (naming it), as is a weight format for --kv or a KV-cache
// format for --vq. --candidate takes a key as `vqtune tune` prints and stores it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli/common.hpp"
#include "model/candidate.hpp"
#include "model/problem.hpp"

namespace vqt::cli {

struct ProfileArgs {
  Problem problem;
  std::optional<Candidate> candidate;
  std::string replay = "user";
  std::vector<std::string> metrics;  // --metrics: more counters by Nsight Compute name
  std::string db;
  std::uint64_t seed = 1;
  double cap_s = 1.0;
  int data_sets = kDefaultDataSets;
  int device = 0;
  Format format = Format::table;
};

po::options_description profile_flags();

// A comma-separated list of metric names ("a__b.sum, c__d.avg.pct_of_peak_sustained_active"),
// trimmed and without repeats; InputError naming `flag` for an empty list, a name that is not
// shaped like a metric (lower-case letters, digits, '_', '.', with a "__"), or more than 64.
std::vector<std::string> parse_metric_list(const std::string& list, const std::string& flag);

// --json or the table; --csv is an InputError (exit 2). For the profile run and --check-metrics.
Format profile_format(const po::variables_map& vm);

// Throws InputError naming the flag (exit 2).
ProfileArgs parse_profile_args(const po::variables_map& vm);

}  // namespace vqt::cli
