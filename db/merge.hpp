// Merging databases tuned on different machines: every row of each input is copied into the
// output by its natural key (GPU uuid + driver + CUDA version, run uuid, problem and candidate
// keys, measurement and ceiling uids, prediction (GPU class, problem, candidate, model version),
// coefficients (GPU class, model version; the later fit wins)). Rows already present are skipped,
// so merging the same input twice changes nothing. The heuristics are recomputed at the end.
#pragma once

#include <string>
#include <vector>

#include "db/repository.hpp"

namespace vqt::db {

struct MergeCounts {
  std::vector<std::pair<std::string, std::int64_t>> inserted;  // table -> rows added
  std::int64_t heuristics = 0;
};

// Each input is checked like any opened file (open_database, read-only) and then attached
// read-only. Throws InputError when an input is the output file.
MergeCounts merge_databases(Repository& out, const std::vector<std::string>& inputs);

}  // namespace vqt::db
