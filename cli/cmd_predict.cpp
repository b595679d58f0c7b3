// vqtune predict: rank the candidates of a problem (or of each layer of a model) with the cost
// model. No GPU needed. Flags and checks: cli/predict_input.hpp; output: cli/predict_output.hpp.
#include <iostream>

#include "cli/common.hpp"
#include "cli/predict_input.hpp"
#include "cli/predict_output.hpp"

namespace vqt::cli {

int cmd_predict(const Args& args) {
  return guarded("predict", [&] {
    po::options_description desc(
        "vqtune predict: rank candidates (codebook placement, launch parameters) for a problem "
        "with the cost model\n\nexample: vqtune predict --gpu h100-sxm --vq aqlm-3 --op gemv "
        "--shape 11008x4096 --batch 1 --top 5\n\nflags");
    desc.add_options()("help,h", "this help");
    add_predict_flags(desc);
    add_format_flags(desc);
    auto vm = parse(join_negative_values(args), desc);
    if (vm.count("help")) {
      std::cout << desc << "\n";
      return 0;
    }
    // Everything is validated here, before anything is printed or cached.
    const PredictRequest req = make_request(vm);

    std::vector<LayerResult> results;
    for (const LayerProblem& lp : req.problems) {
      LayerResult r;
      r.layer = lp;
      r.hist = histogram_for(req, lp.problem);
      r.prep = prepare(lp.problem, req.gpu, req.coef, r.hist.cdf, r.hist.source);
      r.ranked = rank_candidates(r.prep, req.model ? 1 : req.top);
      r.dense_s = dense_fp16_time_s(r.prep);
      results.push_back(std::move(r));
    }
    if (req.model)
      print_model(req, results);
    else
      print_problem(req, results.front());
    return results.front().ranked.empty() ? 1 : 0;
  });
}

}  // namespace vqt::cli
