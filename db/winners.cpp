// Repository::recompute_heuristics and Repository::heuristics: choosing the winner per
// GPU class x op x VQ config x shape bucket, and reading the rows back with their evidence.
//
// Rule (docs/database.md): per (problem, candidate) the time is the lowest median of its ok
// measurements on any device of the class. A candidate's score in a bucket is the geometric mean,
// over the bucket's problems, of its time divided by the best time of that problem; only
// candidates measured on the most problems compete. Candidates whose score is within the noise of
// the best (max of 0.5 % and the larger relative stdev) tie, and the smallest candidate key wins.
// Buckets without any ok measurement use the same rule on predicted times (source "model").
#include <algorithm>
#include <cmath>
#include <set>
#include <tuple>

#include "db/bucket.hpp"
#include "db/repository.hpp"

namespace vqt::db {

namespace {

constexpr double kMinTieRel = 0.005;

struct Evidence {
  double time_s = 0;
  double rel_stdev = 0;
  std::int64_t measurement_id = 0;  // 0 for predictions
  std::set<std::string> devices;
};

struct Group {
  // problem_id -> candidate_id -> best evidence
  std::map<std::int64_t, std::map<std::int64_t, Evidence>> times;
};

using GroupKey = std::tuple<std::string, std::string, std::string, std::string>;

struct Choice {
  std::int64_t candidate_id = 0;
  std::int64_t problem_id = 0;  // representative problem
  std::int64_t n_problems = 0;
  std::int64_t n_devices = 0;
  Evidence rep;
};

Choice choose(const Group& g, const std::map<std::int64_t, std::string>& cand_keys,
              const std::map<std::int64_t, std::string>& prob_keys) {
  std::map<std::int64_t, double> best_time;  // per problem
  for (const auto& [pid, cands] : g.times) {
    double b = INFINITY;
    for (const auto& [cid, e] : cands) b = std::min(b, e.time_s);
    best_time[pid] = b;
  }
  struct Score {
    double log_sum = 0;
    int covered = 0;
    double rel_stdev = 0;
  };
  std::map<std::int64_t, Score> scores;
  for (const auto& [pid, cands] : g.times)
    for (const auto& [cid, e] : cands) {
      auto& s = scores[cid];
      s.log_sum += std::log(e.time_s / best_time[pid]);
      s.covered += 1;
      s.rel_stdev = std::max(s.rel_stdev, e.rel_stdev);
    }
  int max_cover = 0;
  for (const auto& [cid, s] : scores) max_cover = std::max(max_cover, s.covered);
  double best_score = INFINITY, best_rsd = 0;
  for (const auto& [cid, s] : scores)
    if (s.covered == max_cover && std::exp(s.log_sum / s.covered) < best_score) {
      best_score = std::exp(s.log_sum / s.covered);
      best_rsd = s.rel_stdev;
    }
  Choice c;
  std::string best_key;
  for (const auto& [cid, s] : scores) {
    if (s.covered != max_cover) continue;
    const double tol = std::max({kMinTieRel, s.rel_stdev, best_rsd});
    if (std::exp(s.log_sum / s.covered) > best_score * (1 + tol)) continue;
    const std::string& key = cand_keys.at(cid);
    if (best_key.empty() || key < best_key) {
      best_key = key;
      c.candidate_id = cid;
    }
  }
  // Representative problem: the smallest problem key the winner was measured on.
  std::string rep_key;
  std::set<std::string> devices;
  for (const auto& [pid, cands] : g.times) {
    auto it = cands.find(c.candidate_id);
    if (it == cands.end()) continue;
    devices.insert(it->second.devices.begin(), it->second.devices.end());
    if (rep_key.empty() || prob_keys.at(pid) < rep_key) {
      rep_key = prob_keys.at(pid);
      c.problem_id = pid;
      c.rep = it->second;
    }
  }
  c.n_problems = 0;
  for (const auto& [pid, cands] : g.times) c.n_problems += cands.count(c.candidate_id) ? 1 : 0;
  c.n_devices = std::int64_t(devices.size());
  return c;
}

}  // namespace

std::int64_t Repository::recompute_heuristics() {
  Transaction tx(conn_);
  std::map<std::int64_t, std::string> cand_keys, prob_keys;
  std::map<std::int64_t, Problem> problems;
  {
    Statement st(conn_, "SELECT id, key FROM candidates");
    while (st.step()) cand_keys[st.get_int(0)] = st.get_text(1);
    Statement sp(conn_, std::string("SELECT id, ") + problem_columns() + " FROM problems");
    while (sp.step()) {
      prob_keys[sp.get_int(0)] = sp.get_text(1);
      problems[sp.get_int(0)] = problem_from_columns(sp, 1);
    }
  }
  auto group_key = [&](const std::string& gpu_key, std::int64_t pid) {
    const Problem& p = problems.at(pid);
    return GroupKey{gpu_key, to_string(p.op), p.vq.key(), bucket_key(p.op, bucket_of(p))};
  };
  std::map<GroupKey, Group> measured, modelled;
  {
    Statement st(conn_,
                 "SELECT g.gpu_key, g.uuid, m.problem_id, m.candidate_id, m.median_s, "
                 "coalesce(m.rel_stdev, 0), m.id FROM measurements m JOIN gpus g ON g.id=m.gpu_id "
                 "WHERE m.status='ok' AND m.median_s > 0 ORDER BY m.id");
    while (st.step()) {
      auto& e =
          measured[group_key(st.get_text(0), st.get_int(2))].times[st.get_int(2)][st.get_int(3)];
      const double t = st.get_double(4);
      if (e.measurement_id == 0 || t < e.time_s) {
        e.time_s = t;
        e.rel_stdev = st.get_double(5);
        e.measurement_id = st.get_int(6);
      }
      e.devices.insert(st.get_text(1));
    }
  }
  {
    // The latest model version per (gpu class, problem, candidate).
    Statement st(conn_,
                 "SELECT gpu_key, problem_id, candidate_id, predicted_s FROM predictions p WHERE "
                 "model_version = (SELECT max(model_version) FROM predictions q WHERE "
                 "q.gpu_key=p.gpu_key AND q.problem_id=p.problem_id AND "
                 "q.candidate_id=p.candidate_id) AND predicted_s > 0");
    while (st.step()) {
      const auto gk = group_key(st.get_text(0), st.get_int(1));
      if (measured.count(gk)) continue;
      auto& e = modelled[gk].times[st.get_int(1)][st.get_int(2)];
      e.time_s = st.get_double(3);
    }
  }
  conn_.exec("DELETE FROM heuristics");
  Statement pred(conn_,
                 "SELECT predicted_s, model_version FROM predictions WHERE gpu_key=? AND "
                 "problem_id=? AND candidate_id=? ORDER BY model_version DESC LIMIT 1");
  Statement ins(conn_,
                "INSERT INTO heuristics(gpu_key, op, vq_key, bucket, d0, d1, d2, d3, d4, "
                "candidate_id, problem_id, measurement_id, measured_s, predicted_s, "
                "model_version, source, n_problems, n_devices) "
                "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  std::int64_t rows = 0;
  for (const auto* groups : {&measured, &modelled}) {
    const bool is_model = groups == &modelled;
    for (const auto& [gk, g] : *groups) {
      const Choice c = choose(g, cand_keys, prob_keys);
      const ShapeBucket b = bucket_of(problems.at(c.problem_id));
      ins.bind(1, std::get<0>(gk)).bind(2, std::get<1>(gk)).bind(3, std::get<2>(gk));
      ins.bind(4, std::get<3>(gk));
      for (int i = 0; i < kBucketDims; ++i) ins.bind(5 + i, b.dims[i]);
      ins.bind(10, c.candidate_id).bind(11, c.problem_id);
      pred.bind(1, std::get<0>(gk)).bind(2, c.problem_id).bind(3, c.candidate_id);
      std::optional<double> predicted_s;
      std::optional<std::string> model_version;
      if (pred.step()) {
        predicted_s = pred.get_double(0);
        model_version = pred.get_text(1);
      }
      pred.reset();
      if (is_model) {
        ins.bind_null(12).bind_null(13);
      } else {
        ins.bind(12, c.rep.measurement_id).bind(13, c.rep.time_s);
      }
      ins.bind(14, predicted_s).bind(15, model_version);
      const Source src =
          is_model ? Source::model : (c.n_devices > 1 ? Source::merged : Source::measured);
      ins.bind(16, to_string(src)).bind(17, c.n_problems).bind(18, c.n_devices).run();
      ++rows;
    }
  }
  tx.commit();
  return rows;
}

}  // namespace vqt::db

namespace vqt::db {

std::vector<HeuristicRow> Repository::heuristics(const std::string& gpu_key) {
  Statement st(conn_,
               "SELECT h.gpu_key, h.op, h.vq_key, h.bucket, h.d0, h.d1, h.d2, h.d3, h.d4, c.key, " +
                   problem_columns("p.") +
                   ", h.measured_s, m.rel_stdev, m.count, h.predicted_s, h.model_version, "
                   "h.source, h.n_problems, h.n_devices, m.uid, g.uuid, g.name, g.driver, "
                   "g.cuda_version, g.cc_major, g.cc_minor, m.timer, r.uuid, r.kind, "
                   "r.build_commit, r.vqtune_version, m.measured_at "
                   "FROM heuristics h JOIN candidates c ON c.id=h.candidate_id "
                   "JOIN problems p ON p.id=h.problem_id "
                   "LEFT JOIN measurements m ON m.id=h.measurement_id "
                   "LEFT JOIN gpus g ON g.id=m.gpu_id LEFT JOIN runs r ON r.id=m.run_id "
                   "WHERE ?1='' OR h.gpu_key=?1 ORDER BY h.gpu_key, h.op, h.vq_key, h.bucket");
  st.bind(1, gpu_key);
  std::vector<HeuristicRow> out;
  auto opt_int = [&](int col) -> std::optional<std::int64_t> {
    if (st.is_null(col)) return std::nullopt;
    return st.get_int(col);
  };
  while (st.step()) {
    HeuristicRow r;
    r.gpu_key = st.get_text(0);
    r.op = st.get_text(1);
    r.vq_key = st.get_text(2);
    r.bucket = st.get_text(3);
    for (int i = 0; i < kBucketDims; ++i) r.dims[i] = st.get_int(4 + i);
    r.candidate_key = st.get_text(9);
    r.candidate = Candidate::from_key(r.candidate_key);
    r.problem_key = st.get_text(10);
    r.problem = problem_from_columns(st, 10);
    int c = 31;
    r.measured_s = st.get_opt_double(c++);
    r.rel_stdev = st.get_opt_double(c++);
    r.count = opt_int(c++);
    r.predicted_s = st.get_opt_double(c++);
    r.model_version = st.get_opt_text(c++);
    r.source = parse_source(st.get_text(c++));
    r.n_problems = st.get_int(c++);
    r.n_devices = st.get_int(c++);
    r.measurement_uid = st.get_opt_text(c++);
    r.gpu_uuid = st.get_opt_text(c++);
    r.gpu_name = st.get_opt_text(c++);
    r.driver = st.get_opt_text(c++);
    r.cuda_version = st.get_opt_text(c++);
    if (auto v = opt_int(c++)) r.cc_major = int(*v);
    if (auto v = opt_int(c++)) r.cc_minor = int(*v);
    r.timer = st.get_opt_text(c++);
    r.run_uuid = st.get_opt_text(c++);
    r.run_kind = st.get_opt_text(c++);
    r.build_commit = st.get_opt_text(c++);
    r.vqtune_version = st.get_opt_text(c++);
    r.measured_at = st.get_opt_text(c++);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace vqt::db
