#include "tuner/tune_loop.hpp"

#include <chrono>
#include <iomanip>
#include <map>
#include <ostream>
#include <sstream>

#include "model/cost_model.hpp"
#include "model/enumerate.hpp"
#include "tuner/winner.hpp"

namespace vqt::tuner {

std::optional<TrialResult> stored_result(db::Repository& repo, const std::string& gpu_uuid,
                                         const Problem& p, const Candidate& c,
                                         const std::string& build_commit) {
  const std::optional<db::Measurement> m = repo.latest_measurement(gpu_uuid, p, c, build_commit);
  // A timeout is the timer's failure, not the candidate's (time_trial.hpp): a rerun times it again.
  if (!m || m->status == db::Status::timeout) return std::nullopt;
  TrialResult t;
  t.candidate = c;
  t.status = m->status;
  t.median_s = m->median_s.value_or(0);
  t.min_s = m->min_s.value_or(0);
  t.max_s = m->max_s.value_or(0);
  t.rel_stdev = m->rel_stdev.value_or(0);
  t.count = m->count;
  t.resumed = true;
  return t;
}

void record_trial(db::Repository& repo, std::int64_t run_id, std::int64_t gpu_id, const Problem& p,
                  const TrialResult& t, db::Timer timer, const db::Prediction* prediction,
                  const std::string& gpu_key) {
  auto tx = repo.transaction();
  const std::int64_t pid = repo.upsert_problem(p);
  const std::int64_t cid = repo.upsert_candidate(t.candidate);
  db::Measurement m;
  m.status = t.status;
  m.timer = timer;
  if (t.status == db::Status::ok) {
    m.median_s = t.median_s;
    m.min_s = t.min_s;
    m.max_s = t.max_s;
    m.rel_stdev = t.rel_stdev;
  }
  m.count = t.count;
  repo.insert_measurement(run_id, gpu_id, pid, cid, m);
  if (prediction) repo.insert_prediction(gpu_key, pid, cid, *prediction);
  tx.commit();
}

ProblemOutcome tune_problem(const Problem& p, Measurer& meas, const TuneSettings& s) {
  const auto t0 = std::chrono::steady_clock::now();
  ProblemOutcome out;
  out.problem = p;
  std::string source;
  std::vector<double> cdf = meas.prepare(p, &source);
  const PreparedProblem prep = prepare(p, s.spec, s.coef, std::move(cdf), source);
  const std::vector<Candidate> space = meas.search_space(p);
  const std::vector<Ranked> ranked =
      space.empty() ? rank_candidates(prep) : rank_given_candidates(prep, space);
  out.enumerated = ranked.size();
  std::vector<Candidate> order;
  std::map<std::string, const Prediction*> predicted;
  order.reserve(ranked.size());
  for (const auto& r : ranked) {
    if (!meas.implementable(r.candidate)) continue;
    if (order.empty()) out.model_top1_predicted_s = r.prediction.time_s;
    order.push_back(r.candidate);
    predicted[r.candidate.key()] = &r.prediction;
  }
  out.runnable = order.size();
  if (order.empty()) return out;
  out.model_top1 = order.front();
  auto strategy = make_strategy(s.strategy, std::move(order), s.strategy_options, p.key());

  std::int64_t gpu_id = 0;
  if (s.repo) gpu_id = s.repo->upsert_gpu(s.gpu);
  const TrialResult* previous = nullptr;
  while (auto c = strategy->next_candidate(previous)) {
    std::optional<TrialResult> got;
    if (s.repo && s.resume) got = stored_result(*s.repo, s.gpu.uuid, p, *c, s.build_commit);
    if (got) {
      ++out.resumed;
    } else {
      got = meas.measure(*c);
      got->candidate = *c;
      if (s.repo) {
        const Prediction& pr = *predicted.at(c->key());
        db::Prediction dp;
        dp.model_version = s.model_version;
        dp.predicted_s = pr.time_s;
        dp.bound = to_string(pr.bound);
        std::ostringstream bytes;
        bytes << "{\"hbm\":" << pr.hbm_bytes << ",\"l2\":" << pr.l2_bytes
              << ",\"l1_sectors\":" << pr.l1_sectors
              << ",\"smem_wavefronts\":" << pr.smem_wavefronts << "}";
        dp.bytes_json = bytes.str();
        // A candidate of the kernel's own space the model cannot predict has no prediction row.
        record_trial(*s.repo, s.run_id, gpu_id, p, *got, meas.timer(), pr.valid ? &dp : nullptr,
                     s.gpu.gpu_key());
      }
    }
    out.trials.push_back(*got);
    previous = &out.trials.back();
    if (s.progress) {
      const auto& t = out.trials.back();
      *s.progress << "tune:   " << std::setw(3) << out.trials.size() << " "
                  << db::to_string(t.status);
      if (t.status == db::Status::ok)
        *s.progress << " " << std::fixed << std::setprecision(2) << t.median_s * 1e6 << " us";
      if (t.resumed) *s.progress << " (from the database)";
      if (!t.detail.empty()) *s.progress << " (" << t.detail << ")";
      *s.progress << "  " << t.candidate.key() << "\n";
    }
  }
  out.winner = pick_winner(out.trials);
  out.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

std::int64_t finish_tune_run(const TuneSettings& s) {
  if (!s.repo) return 0;
  if (s.run_id != 0) s.repo->finish_run(s.run_id);
  return s.repo->recompute_heuristics();
}

TuneRunOutcome tune_problems(
    const std::vector<Problem>& problems, Measurer& m, const TuneSettings& s,
    const std::function<void(std::size_t index, const ProblemOutcome&)>& on_done) {
  const auto t0 = std::chrono::steady_clock::now();
  TuneRunOutcome out;
  out.problems.reserve(problems.size());
  try {
    for (std::size_t i = 0; i < problems.size(); ++i) {
      if (s.progress) {
        const double spent =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        *s.progress << "tune: [" << (i + 1) << "/" << problems.size() << "] " << problems[i].key();
        if (i > 0)
          *s.progress << ", about " << std::fixed << std::setprecision(0)
                      << spent / double(i) * double(problems.size() - i) << " s left";
        *s.progress << "\n";
      }
      out.problems.push_back(tune_problem(problems[i], m, s));
      if (on_done) on_done(i, out.problems.back());
    }
  } catch (...) {
    // The problems finished before the failure are in the database: their winners still count.
    // The run stays unfinished; the original error is what the caller sees.
    if (s.repo) {
      try {
        s.repo->recompute_heuristics();
      } catch (...) {  // a second failure must not hide the first
      }
    }
    throw;
  }
  out.heuristics_rows = finish_tune_run(s);
  out.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace vqt::tuner
