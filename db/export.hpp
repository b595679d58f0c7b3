// Export of the heuristics table: csv and json carry every column needed to reproduce a choice
// (GPU identity, op, VQ config, bucket and shape, candidate and its fields, measured statistics,
// prediction, source, run and build commit); md is a readable table; cpp is a header with a
// constexpr table and a lookup function that compiles without SQLite. JSON also carries the
// evidence behind each row (every ok measurement of the winner in its bucket, or the predictions
// for model rows), so import_json() into a fresh file reproduces the same heuristics.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "db/repository.hpp"

namespace vqt::db {

enum class ExportFormat { csv, json, md, cpp };

// Throws InputError naming `flag` and the accepted formats.
ExportFormat parse_export_format(const std::string& text, const std::string& flag = "--format");

// The heuristics of one GPU class (or all when `gpu_key` is empty) in `format`.
std::string export_heuristics(Repository& repo, ExportFormat format,
                              const std::string& gpu_key = "");
nlohmann::json export_json(Repository& repo, const std::string& gpu_key = "");
std::string export_cpp(const std::vector<HeuristicRow>& rows);

// The problem object of an export_json() row (op, vq fields, shape); checks the VQ key matches.
Problem problem_from_json(const nlohmann::json& j);

struct ImportCounts {
  std::int64_t measurements = 0, predictions = 0, skipped = 0, heuristics = 0;
};
// Inserts the evidence of an export_json() document (rows already present are skipped, by their
// natural keys) in one transaction, then recomputes the heuristics.
ImportCounts import_json(Repository& repo, const nlohmann::json& doc);

// Writes `content` to `path` through a temporary file in the same directory and a rename, so a
// failure leaves no partial file. An existing `path` is kept (InputError) unless `force`.
void write_file_atomic(const std::string& path, const std::string& content, bool force,
                       const std::string& flag = "--out");

}  // namespace vqt::db
