#include "tuner/accuracy.hpp"

#include "tuner/strategy.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "model/cost_model.hpp"
#include "tuner/calibrate.hpp"
#include "vq/error.hpp"

namespace vqt::tuner {

namespace {

std::vector<double> ranks(const std::vector<double>& v) {
  std::vector<std::size_t> idx(v.size());
  std::iota(idx.begin(), idx.end(), std::size_t{0});
  std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return v[a] < v[b]; });
  std::vector<double> r(v.size());
  for (std::size_t i = 0; i < idx.size();) {
    std::size_t j = i;
    while (j + 1 < idx.size() && v[idx[j + 1]] == v[idx[i]]) ++j;
    const double avg = 0.5 * double(i + j) + 1.0;
    for (std::size_t k = i; k <= j; ++k) r[idx[k]] = avg;
    i = j + 1;
  }
  return r;
}

double median_of(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// model-top-k as the tune loop runs it, on measurements already taken.
void replay_top_k(const std::string& key, const std::vector<AccuracyPoint>& pts,
                  ProblemAccuracy& pa) {
  std::vector<std::size_t> order(pts.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  for (const auto& p : pts)
    if (p.candidate_key.empty()) return;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (pts[a].predicted_s != pts[b].predicted_s) return pts[a].predicted_s < pts[b].predicted_s;
    return pts[a].candidate_key < pts[b].candidate_key;
  });
  std::vector<Candidate> ranked;
  std::map<std::string, double> measured;
  for (std::size_t i : order) {
    ranked.push_back(Candidate::from_key(pts[i].candidate_key));
    measured[pts[i].candidate_key] = pts[i].measured_s;
  }
  double best = pts[0].measured_s;
  for (const auto& p : pts) best = std::min(best, p.measured_s);
  auto strategy = make_strategy("model-top-k", std::move(ranked), StrategyOptions{}, key);
  double found = std::numeric_limits<double>::infinity();
  while (auto c = strategy->next_candidate(nullptr)) {
    found = std::min(found, measured.at(c->key()));
    ++pa.topk_timed;
  }
  pa.topk_regret = found / best - 1.0;
}

}  // namespace

double spearman(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) throw Error("spearman: sizes differ");
  if (a.size() < 2) return 0;
  const auto ra = ranks(a), rb = ranks(b);
  const double n = double(a.size());
  const double ma = std::accumulate(ra.begin(), ra.end(), 0.0) / n;
  const double mb = std::accumulate(rb.begin(), rb.end(), 0.0) / n;
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < ra.size(); ++i) {
    sab += (ra[i] - ma) * (rb[i] - mb);
    saa += (ra[i] - ma) * (ra[i] - ma);
    sbb += (rb[i] - mb) * (rb[i] - mb);
  }
  return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : 0.0;
}

AccuracyReport accuracy(
    const std::vector<std::pair<std::string, std::vector<AccuracyPoint>>>& data) {
  AccuracyReport r;
  std::vector<double> all_err, rhos, regrets;
  std::size_t within = 0;
  for (const auto& [key, pts] : data) {
    if (pts.size() < 2) continue;
    ProblemAccuracy pa;
    pa.problem_key = key;
    pa.points = pts.size();
    std::vector<double> pred, meas;
    double err_sum = 0;
    std::size_t top = 0, best = 0;
    for (std::size_t i = 0; i < pts.size(); ++i) {
      const double e = std::fabs(pts[i].predicted_s - pts[i].measured_s) / pts[i].measured_s;
      err_sum += e;
      all_err.push_back(e);
      pred.push_back(pts[i].predicted_s);
      meas.push_back(pts[i].measured_s);
      if (pts[i].predicted_s < pts[top].predicted_s) top = i;
      if (pts[i].measured_s < pts[best].measured_s) best = i;
    }
    pa.mape = err_sum / double(pts.size());
    pa.spearman = spearman(pred, meas);
    pa.regret = pts[top].measured_s / pts[best].measured_s - 1.0;
    replay_top_k(key, pts, pa);
    within += pa.regret <= 0.05;
    rhos.push_back(pa.spearman);
    regrets.push_back(pa.regret);
    r.per_problem.push_back(pa);
  }
  r.problems = r.per_problem.size();
  r.points = all_err.size();
  if (r.problems == 0) return r;
  r.mape = std::accumulate(all_err.begin(), all_err.end(), 0.0) / double(all_err.size());
  std::sort(all_err.begin(), all_err.end());
  r.p90_abs_err = all_err[std::min(all_err.size() - 1,
                                   std::size_t(std::ceil(0.9 * double(all_err.size()))) - 1)];
  r.median_spearman = median_of(rhos);
  r.mean_spearman = std::accumulate(rhos.begin(), rhos.end(), 0.0) / double(rhos.size());
  r.top1_within_5pct = double(within) / double(r.problems);
  std::size_t replayed = 0, topk_within = 0;
  double timed_share = 0;
  for (const auto& pa : r.per_problem) {
    if (pa.topk_regret < 0) continue;
    ++replayed;
    topk_within += pa.topk_regret <= 0.02;
    timed_share += double(pa.topk_timed) / double(pa.points);
    r.topk_max_regret = std::max(r.topk_max_regret, pa.topk_regret);
  }
  if (replayed > 0) {
    r.topk_within_2pct = double(topk_within) / double(replayed);
    r.topk_timed_fraction = timed_share / double(replayed);
  }
  r.median_regret = median_of(regrets);
  r.max_regret = *std::max_element(regrets.begin(), regrets.end());
  return r;
}

std::vector<std::pair<std::string, std::vector<AccuracyPoint>>> measured_vs_predicted(
    const std::vector<MeasuredProblem>& data, const GpuSpec& spec, const ModelCoefficients& coef,
    double zipf_exponent) {
  std::vector<std::pair<std::string, std::vector<AccuracyPoint>>> out;
  for (const auto& mp : data) {
    const Problem& p = mp.problem;
    const PreparedProblem prep =
        prepare(p, spec, coef, zipf_sorted_cdf(p.vq.stored_entries(), zipf_exponent),
                "zipf:" + std::to_string(zipf_exponent));
    std::vector<AccuracyPoint> pts;
    for (const auto& [c, t] : mp.measured_s) {
      const Prediction pr = predict(prep, c);
      if (pr.valid) pts.push_back({pr.time_s, t, c.key()});
    }
    out.emplace_back(p.key(), std::move(pts));
  }
  return out;
}

}  // namespace vqt::tuner
