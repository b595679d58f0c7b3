// A synthetic but realistic database fill for tests and demos: 2 GPU classes, a few problems per op
// (gemv, gemm, attention_decode), candidates with different codebook placements, measurements
// including failures, predictions, ceilings and model coefficients, then the heuristics.
//
// Every row hangs off one run of kind "demo" whose note says SYNTHETIC DEMO DATA, so demo rows are
// never mistaken for real results (vqtune db info and every export show the run kind).
#pragma once

#include <cstdint>

#include "db/repository.hpp"

namespace vqt::db {

struct FixtureCounts {
  std::int64_t measurements = 0, failed = 0, predictions = 0, heuristics = 0;
};

// Deterministic for a given seed; times are synthetic. Runs in one transaction.
// `device_tag` ends the synthetic GPU UUIDs, so fixtures of two "machines" differ in devices.
FixtureCounts fill_demo_fixture(Repository& repo, std::uint64_t seed = 1,
                                const std::string& device_tag = "0000");

}  // namespace vqt::db
