// `vqtune predict` output: the ranked candidates of one problem, or the best candidate per layer
// of a model, as a table (default), JSON or CSV.
#pragma once

#include <cstddef>
#include <vector>

#include "cli/predict_input.hpp"
#include "model/enumerate.hpp"

namespace vqt::cli {

struct LayerResult {
  LayerProblem layer;
  PreparedProblem prep;
  HistogramInfo hist;
  std::vector<Ranked> ranked;  // best first, at most req.top
  double dense_s = 0;          // fp16 baseline
};

void print_problem(const PredictRequest& req, const LayerResult& r);
void print_model(const PredictRequest& req, const std::vector<LayerResult>& layers);

}  // namespace vqt::cli
