// `vqtune predict` input: flag values turned into validated problems and index histograms. Every
// check here runs before anything is printed or cached, so bad input leaves no trace but one line
// on stderr (InputError naming the flag -> exit code 2).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cli/common.hpp"
#include "model/coefficients.hpp"
#include "model/gpu_spec.hpp"
#include "model/model_shapes.hpp"
#include "vq/histogram.hpp"

namespace vqt::cli {

struct PredictRequest {
  GpuSpec gpu;
  VqConfig vq;
  Op op = Op::gemv;
  std::vector<LayerProblem> problems;  // one unnamed problem, or a model's layers
  std::optional<ModelShape> model;
  int top = 10;
  Format format = Format::table;
  std::string vq_file;    // empty: synthetic histogram
  std::string cache_dir;  // for synthetic histograms
  // The --vq-file's histogram, read once (validated against --vq) before anything is printed.
  std::optional<IndexHistogram> file_hist;
  ModelCoefficients coef;
  std::string coef_source = "built-in defaults";  // or "file PATH", "database PATH (...)"
  std::string db_path;                            // --db; empty: datasheet ceilings
  std::string ceilings_source;  // where the measured ceilings came from, empty when none
};

// "NxK" with positive decimal integers; throws InputError naming `flag`.
std::pair<std::int64_t, std::int64_t> parse_shape(const std::string& text, const std::string& flag);
// "Q/KV" head counts; throws InputError naming `flag`.
std::pair<std::int64_t, std::int64_t> parse_heads(const std::string& text, const std::string& flag);
// A positive decimal integer in [lo, hi]; throws InputError naming `flag`.
std::int64_t parse_count(const std::string& text, const std::string& flag, std::int64_t lo,
                         std::int64_t hi);

// $XDG_CACHE_HOME/vqtune when set, else .cache/vqtune in the working directory.
std::string default_cache_dir();

// The flags of `vqtune predict` and their parsing into a request (all validation included).
void add_predict_flags(po::options_description& desc);
PredictRequest make_request(const po::variables_map& vm);

// Rejoins "--flag -1" into "--flag=-1" for flags that take a value, so negative numbers reach the
// flag's own check (and its message) instead of being read as an unknown option.
Args join_negative_values(const Args& args);

// The sorted CDF of `problem`'s codebook lookups and where it came from: the --vq-file's
// histogram, or a synthetic one (quantized synthetic weights of the problem's shape, cached).
struct HistogramInfo {
  std::vector<double> cdf;
  std::string source;
  double entropy_bits = 0;
  double top256_mass = 0;
};
HistogramInfo histogram_for(const PredictRequest& req, const Problem& problem);

}  // namespace vqt::cli
