#include "db/merge.hpp"

#include <sys/stat.h>

namespace vqt::db {

namespace {

bool same_file(const std::string& a, const std::string& b) {
  struct stat sa {
  }, sb{};
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

const std::string kGpuCols =
    "uuid, name, cc_major, cc_minor, driver, cuda_version, spec_key, gpu_key";
const std::string kRunCols =
    "uuid, kind, who, host, started_at, finished_at, args, vqtune_version, build_commit, note";
const std::string kCandCols =
    "key, n_reg, n_smem, smem_copies, l1_bypass, cb_split, fusion, dataflow, tile_m, tile_n, "
    "tile_k, threads, split_k";

// (table, statement) pairs copying src.* into main.*, in foreign-key order.
std::vector<std::pair<std::string, std::string>> copy_statements() {
  const std::string gpu_map =
      " JOIN src.gpus g ON g.id=x.gpu_id JOIN main.gpus mg ON mg.uuid=g.uuid AND "
      "mg.driver=g.driver AND mg.cuda_version=g.cuda_version ";
  return {
      {"gpus", "INSERT INTO main.gpus(" + kGpuCols + ") SELECT " + kGpuCols +
                   " FROM src.gpus WHERE true ON CONFLICT DO NOTHING"},
      {"runs", "INSERT INTO main.runs(" + kRunCols + ") SELECT " + kRunCols +
                   " FROM src.runs WHERE true ON CONFLICT(uuid) DO UPDATE SET "
                   "finished_at=excluded.finished_at WHERE runs.finished_at IS NULL AND "
                   "excluded.finished_at IS NOT NULL"},
      {"problems", std::string("INSERT INTO main.problems(") + problem_columns() + ") SELECT " +
                       problem_columns() + " FROM src.problems WHERE true ON CONFLICT DO NOTHING"},
      {"candidates", "INSERT INTO main.candidates(" + kCandCols + ") SELECT " + kCandCols +
                         " FROM src.candidates WHERE true ON CONFLICT DO NOTHING"},
      {"ceilings",
       "INSERT INTO main.ceilings(uid, gpu_id, run_id, name, value, unit, rel_spread, count, "
       "measured_at) SELECT x.uid, mg.id, mr.id, x.name, x.value, x.unit, x.rel_spread, x.count, "
       "x.measured_at FROM src.ceilings x" +
           gpu_map +
           "LEFT JOIN src.runs r ON r.id=x.run_id LEFT JOIN main.runs mr ON mr.uuid=r.uuid "
           "WHERE true ON CONFLICT(uid) DO NOTHING"},
      {"measurements",
       "INSERT INTO main.measurements(uid, run_id, gpu_id, problem_id, candidate_id, status, "
       "timer, median_s, min_s, max_s, rel_stdev, count, counters_json, measured_at) "
       "SELECT x.uid, mr.id, mg.id, mp.id, mc.id, x.status, x.timer, x.median_s, x.min_s, "
       "x.max_s, x.rel_stdev, x.count, x.counters_json, x.measured_at FROM src.measurements x" +
           gpu_map +
           "JOIN src.runs r ON r.id=x.run_id JOIN main.runs mr ON mr.uuid=r.uuid "
           "JOIN src.problems p ON p.id=x.problem_id JOIN main.problems mp ON mp.key=p.key "
           "JOIN src.candidates c ON c.id=x.candidate_id JOIN main.candidates mc ON mc.key=c.key "
           "WHERE true ON CONFLICT(uid) DO NOTHING"},
      {"predictions",
       "INSERT INTO main.predictions(gpu_key, problem_id, candidate_id, model_version, "
       "predicted_s, bound, bytes_json) SELECT x.gpu_key, mp.id, mc.id, x.model_version, "
       "x.predicted_s, x.bound, x.bytes_json FROM src.predictions x "
       "JOIN src.problems p ON p.id=x.problem_id JOIN main.problems mp ON mp.key=p.key "
       "JOIN src.candidates c ON c.id=x.candidate_id JOIN main.candidates mc ON mc.key=c.key "
       "WHERE true ON CONFLICT DO NOTHING"},
      {"coefficients",
       "INSERT INTO main.coefficients(gpu_key, model_version, coefficients_json, fitted_at) "
       "SELECT gpu_key, model_version, coefficients_json, fitted_at FROM src.coefficients "
       "WHERE true ON CONFLICT(gpu_key, model_version) DO UPDATE SET "
       "coefficients_json=excluded.coefficients_json, fitted_at=excluded.fitted_at "
       "WHERE excluded.fitted_at > coefficients.fitted_at"},
  };
}

}  // namespace

MergeCounts merge_databases(Repository& out, const std::vector<std::string>& inputs) {
  MergeCounts counts;
  const auto stmts = copy_statements();
  for (const auto& [table, sql] : stmts) counts.inserted.emplace_back(table, 0);
  Connection& conn = out.connection();
  for (const std::string& in : inputs) {
    if (same_file(in, conn.path())) throw InputError("merge input " + in + " is the output file");
    // The same checks as any open (identity, version, corruption), without writing anything.
    const OpenFlags flags = [&] {
      Connection probe = open_database(in, Access::read_only);
      check_integrity(probe);
      return probe.flags();
    }();
    Statement attach(conn, "ATTACH DATABASE ? AS src");
    attach.bind(1, file_uri(in, flags)).run();
    try {
      Transaction tx(conn);
      for (size_t i = 0; i < stmts.size(); ++i) {
        conn.exec(stmts[i].second);
        counts.inserted[i].second += conn.changes();
      }
      tx.commit();
    } catch (...) {
      conn.exec("DETACH DATABASE src");
      throw;
    }
    conn.exec("DETACH DATABASE src");
  }
  counts.heuristics = out.recompute_heuristics();
  return counts;
}

}  // namespace vqt::db
