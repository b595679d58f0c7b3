#include "tuner/calibrate.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <map>

#include "model/cost_model.hpp"
#include "tuner/strategy.hpp"
#include "tuner/validate.hpp"
#include "vq/error.hpp"

namespace vqt::tuner {

namespace {

// Residuals are weighted by (best measured time of the problem / this candidate's)^focus: the
// tuner uses the model to rank, so the fast end of each problem counts most. On the H100 data
// (bench/results/model-accuracy-gemv-h100.md) unweighted / 0.5 / 1: held-out GEMV MAPE 13.7 /
// 13.2 / 13.2 %, top-1 within 5 % 70 / 73 / 77 %; llama-65b MAPE 19.1 / 17.9 / 17.2 %.
constexpr double kFitFocusExponent = 1.0;

// Every this many iterations the Jacobian is taken for every coefficient (see calibrate()).
constexpr int kRefreshEvery = 10;

struct Param {
  const char* name;
  double ModelCoefficients::*field;
  double lo, hi;
  bool log_scale;  // positive range: fit log(value)
};

std::vector<Param> params() {
  std::vector<Param> v;
#define VQT_COEF_PARAM(name, def, lo, hi, doc) \
  v.push_back({#name, &ModelCoefficients::name, double(lo), double(hi), double(lo) > 0});
  VQT_MODEL_COEFFICIENTS(VQT_COEF_PARAM)
#undef VQT_COEF_PARAM
  return v;
}

double to_u(const Param& p, double x) {
  return p.log_scale ? std::log(x) : x;
}
double from_u(const Param& p, double u) {
  const double x = p.log_scale ? std::exp(u) : u;
  return std::clamp(x, p.lo, p.hi);
}

// What the residuals need of the data beyond the coefficients, computed once per fit: each
// problem's index histogram and each point's weight (kFitFocusExponent), in point order.
struct FitInputs {
  std::vector<std::vector<double>> cdfs;
  std::vector<double> weights;
};

FitInputs fit_inputs(const std::vector<MeasuredProblem>& data, double zipf_exponent) {
  FitInputs in;
  for (const auto& mp : data) {
    in.cdfs.push_back(zipf_sorted_cdf(mp.problem.vq.stored_entries(), zipf_exponent));
    double best_s = 0;
    for (const auto& ct : mp.measured_s)
      if (best_s == 0 || ct.second < best_s) best_s = ct.second;
    for (const auto& ct : mp.measured_s)
      in.weights.push_back(std::pow(best_s / ct.second, kFitFocusExponent));
  }
  return in;
}

// Weighted log residuals of every valid point; false when the coefficients are rejected by the
// model.
bool residuals(const std::vector<MeasuredProblem>& data, const GpuSpec& spec,
               const ModelCoefficients& coef, const FitInputs& in, Eigen::VectorXd& r) {
  std::vector<double> out;
  try {
    for (std::size_t i = 0; i < data.size(); ++i) {
      const PreparedProblem prep = prepare(data[i].problem, spec, coef, in.cdfs[i], "zipf");
      for (const auto& [c, t] : data[i].measured_s) {
        const Prediction pr = predict(prep, c);
        const double w = in.weights[out.size()];
        out.push_back(pr.valid && pr.time_s > 0 ? w * std::log(pr.time_s / t) : 0.0);
      }
    }
  } catch (const std::exception&) {
    return false;
  }
  r = Eigen::Map<Eigen::VectorXd>(out.data(), Eigen::Index(out.size()));
  return true;
}

}  // namespace

std::vector<MeasuredProblem> load_measured(db::Repository& repo, const std::string& gpu_key) {
  std::map<std::string, Problem> problems;
  std::map<std::string, std::map<std::string, double>> times;
  for (const auto& t : repo.ok_measurements(gpu_key)) {
    const std::string pk = t.problem.key();
    problems.emplace(pk, t.problem);
    times[pk][t.candidate_key] = t.median_s;  // rows come oldest first: the latest wins
  }
  std::vector<MeasuredProblem> out;
  for (const auto& [pk, by_cand] : times) {
    MeasuredProblem mp{problems.at(pk), {}};
    for (const auto& [ck, t] : by_cand) mp.measured_s.emplace_back(Candidate::from_key(ck), t);
    out.push_back(std::move(mp));
  }
  return out;
}

std::string shape_key(const Problem& p) {
  std::string s = to_string(p.op);
  if (p.op == Op::gemv || p.op == Op::gemm)
    return s + ":" + std::to_string(p.n) + "x" + std::to_string(p.k);
  return s + ":" + std::to_string(p.q_heads) + "/" + std::to_string(p.kv_heads) + "x" +
         std::to_string(p.head_dim) + ":ctx" + std::to_string(p.context);
}

bool held_out(const Problem& p, int every) {
  return every > 1 && stable_hash(shape_key(p)) % std::uint64_t(every) == 0;
}

CalibrationResult calibrate(const std::vector<MeasuredProblem>& train, const GpuSpec& spec,
                            const ModelCoefficients& start, double zipf_exponent,
                            int max_iterations, const std::vector<std::string>& held) {
  const auto ps = params();
  // Held coefficients are left out of the Jacobian for good (never refreshed).
  std::vector<char> fixed(ps.size(), 0);
  for (const std::string& h : held) {
    std::size_t j = 0;
    while (j < ps.size() && h != ps[j].name) ++j;
    if (j == ps.size()) {
      std::string known;
      for (const Param& p : ps) known += (known.empty() ? "" : ", ") + std::string(p.name);
      throw InputError("held coefficients: no model coefficient '" + h + "' (known: " + known +
                       ")");
    }
    fixed[j] = 1;
  }
  const FitInputs in = fit_inputs(train, zipf_exponent);
  CalibrationResult res;
  res.coef = start;
  Eigen::VectorXd r;
  if (!residuals(train, spec, res.coef, in, r)) return res;
  res.points = std::size_t(r.size());
  if (r.size() == 0) return res;
  res.rms_log_error_before = std::sqrt(r.squaredNorm() / double(r.size()));
  const Eigen::Index n = Eigen::Index(ps.size());
  Eigen::VectorXd u(n);
  for (Eigen::Index j = 0; j < n; ++j)
    u[j] = to_u(ps[std::size_t(j)], res.coef.*ps[std::size_t(j)].field);
  double cost = r.squaredNorm();
  double lambda = 1e-2;
  auto coef_of = [&](const Eigen::VectorXd& uu) {
    ModelCoefficients c = res.coef;  // = start: held fields keep their exact value
    for (Eigen::Index j = 0; j < n; ++j)
      if (!fixed[std::size_t(j)]) c.*ps[std::size_t(j)].field = from_u(ps[std::size_t(j)], uu[j]);
    return c;
  };
  // Columns that were all zero (coefficients these data do not touch: another op's, a tier no
  // candidate uses) are skipped, and all columns are re-derived every kRefreshEvery iterations,
  // so a coefficient that becomes active is picked up again. Columns are computed in parallel.
  std::vector<char> active(std::size_t(n), 1);
  for (int it = 0; it < max_iterations; ++it) {
    res.iterations = it + 1;
    const bool refresh = it % kRefreshEvery == 0;
    Eigen::MatrixXd jac = Eigen::MatrixXd::Zero(r.size(), n);
    parallel_for(n, [&](std::int64_t jj) {
      const Eigen::Index j = Eigen::Index(jj);
      if (fixed[std::size_t(j)] || (!refresh && !active[std::size_t(j)])) return;
      const Param& p = ps[std::size_t(j)];
      const double h = p.log_scale ? 1e-3 : 1e-3 * std::max(p.hi - p.lo, 1e-9);
      Eigen::VectorXd up = u;
      up[j] += h;
      if (from_u(p, up[j]) == from_u(p, u[j])) up[j] = u[j] - h;  // at the upper bound
      Eigen::VectorXd rj;
      if (!residuals(train, spec, coef_of(up), in, rj) || rj.size() != r.size()) return;
      jac.col(j) = (rj - r) / (up[j] - u[j]);
      if (refresh) active[std::size_t(j)] = jac.col(j).cwiseAbs().maxCoeff() > 0 ? 1 : 0;
    });
    // A coefficient at a bound whose descent direction points out of its range is held for this
    // iteration: its clamped step would change nothing while the solve counts on it, and the
    // step then fails for every lambda (a projected Levenberg-Marquardt step).
    Eigen::VectorXd g = jac.transpose() * r;
    for (Eigen::Index j = 0; j < n; ++j) {
      const Param& p = ps[std::size_t(j)];
      const double x = from_u(p, u[j]);
      if ((x <= p.lo && g[j] > 0) || (x >= p.hi && g[j] < 0)) {
        jac.col(j).setZero();
        g[j] = 0;
      }
    }
    const Eigen::MatrixXd jtj = jac.transpose() * jac;
    bool improved = false;
    for (int tries = 0; tries < 8 && !improved; ++tries) {
      Eigen::MatrixXd a = jtj;
      a.diagonal().array() += lambda * (jtj.diagonal().array() + 1e-9);
      const Eigen::VectorXd step = a.ldlt().solve(-g);
      Eigen::VectorXd un = u + step;
      for (Eigen::Index j = 0; j < n; ++j)
        un[j] = fixed[std::size_t(j)]
                    ? u[j]
                    : to_u(ps[std::size_t(j)], from_u(ps[std::size_t(j)], un[j]));  // in range
      Eigen::VectorXd rn;
      if (residuals(train, spec, coef_of(un), in, rn) && rn.size() == r.size() &&
          rn.squaredNorm() < cost) {
        u = un;
        r = rn;
        const double old = cost;
        cost = rn.squaredNorm();
        lambda = std::max(lambda / 3, 1e-7);
        improved = true;
        if (old - cost < 1e-9 * old) it = max_iterations;  // converged
      } else {
        lambda *= 4;
      }
    }
    if (!improved) break;
  }
  res.coef = coef_of(u);
  res.rms_log_error_after = std::sqrt(cost / double(r.size()));
  return res;
}

}  // namespace vqt::tuner
