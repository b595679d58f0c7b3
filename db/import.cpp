// import_json: the evidence of an export_json() document back into a database.
#include <nlohmann/json.hpp>

#include "db/export.hpp"

namespace vqt::db {

using nlohmann::json;

namespace {

template <class T>
std::optional<T> opt(const json& j, const char* key) {
  if (!j.contains(key) || j.at(key).is_null()) return std::nullopt;
  return j.at(key).get<T>();
}

Candidate candidate_from_json(const json& j) {
  Candidate c;
  c.n_reg = j.at("n_reg").get<std::int32_t>();
  c.n_smem = j.at("n_smem").get<std::int32_t>();
  c.smem_copies = j.at("smem_copies").get<std::int32_t>();
  c.l1_bypass = j.at("l1_bypass").get<bool>();
  c.cb_split = j.at("cb_split").get<std::int32_t>();
  const std::string f = j.at("fusion").get<std::string>();
  c.fusion = f == "smem" ? Fusion::smem : f == "unfused" ? Fusion::unfused : Fusion::shuffle;
  c.dataflow = j.at("dataflow").get<std::string>() == "codebook_centric"
                   ? Dataflow::codebook_centric
                   : Dataflow::token_split;
  c.tile_m = j.at("tile_m").get<std::int32_t>();
  c.tile_n = j.at("tile_n").get<std::int32_t>();
  c.tile_k = j.at("tile_k").get<std::int32_t>();
  c.threads = j.at("threads").get<std::int32_t>();
  c.split_k = j.at("split_k").get<std::int32_t>();
  return c;
}

}  // namespace

ImportCounts import_json(Repository& repo, const json& doc) {
  if (!doc.is_object() || doc.value("format", "") != "vqtune-heuristics")
    throw InputError(
        "import: not a vqtune heuristics export (no \"format\": \"vqtune-heuristics\")");
  if (doc.value("format_version", 0) != 1)
    throw InputError("import: format_version " + doc.value("format_version", json(0)).dump() +
                     " is not supported (this vqtune reads 1)");
  ImportCounts counts;
  try {
    auto tx = repo.transaction();
    for (const json& row : doc.at("heuristics")) {
      const Candidate cand = candidate_from_json(row.at("candidate"));
      if (cand.key() != row.at("candidate_key").get<std::string>())
        throw InputError("import: candidate fields do not match " +
                         row.at("candidate_key").get<std::string>());
      const std::int64_t cid = repo.upsert_candidate(cand);
      for (const json& e : row.at("evidence")) {
        const json& g = e.at("gpu");
        const GpuRecord gpu{
            g.at("uuid").get<std::string>(),    g.at("name").get<std::string>(),
            g.at("cc_major").get<int>(),        g.at("cc_minor").get<int>(),
            g.at("driver").get<std::string>(),  g.at("cuda_version").get<std::string>(),
            g.at("spec_key").get<std::string>()};
        const json& r = e.at("run");
        RunInfo run;
        run.uuid = r.at("uuid").get<std::string>();
        run.kind = r.at("kind").get<std::string>();
        run.who = r.at("who").get<std::string>();
        run.host = r.at("host").get<std::string>();
        run.started_at = r.at("started_at").get<std::string>();
        run.finished_at = opt<std::string>(r, "finished_at");
        run.args = r.at("args").get<std::string>();
        run.vqtune_version = r.at("vqtune_version").get<std::string>();
        run.build_commit = r.at("build_commit").get<std::string>();
        run.note = r.at("note").get<std::string>();
        Measurement m;
        m.uid = e.at("uid").get<std::string>();
        m.status = parse_status(e.at("status").get<std::string>());
        m.timer = parse_timer(e.at("timer").get<std::string>());
        m.median_s = opt<double>(e, "median_s");
        m.min_s = opt<double>(e, "min_s");
        m.max_s = opt<double>(e, "max_s");
        m.rel_stdev = opt<double>(e, "rel_stdev");
        m.count = e.at("count").get<std::int64_t>();
        m.counters_json = opt<std::string>(e, "counters_json");
        m.measured_at = e.at("measured_at").get<std::string>();
        const std::int64_t pid = repo.upsert_problem(problem_from_json(e.at("problem")));
        const std::int64_t run_id = repo.begin_run(run);
        if (repo.insert_measurement_if_new(run_id, repo.upsert_gpu(gpu), pid, cid, m))
          ++counts.measurements;
        else
          ++counts.skipped;
      }
      const std::string gpu_key = row.at("gpu_key").get<std::string>();
      for (const json& p : row.value("predictions", json::array())) {
        Prediction pr;
        pr.model_version = p.at("model_version").get<std::string>();
        pr.predicted_s = p.at("predicted_s").get<double>();
        pr.bound = p.at("bound").get<std::string>();
        pr.bytes_json = p.at("bytes_json").get<std::string>();
        repo.insert_prediction(gpu_key, repo.upsert_problem(problem_from_json(p.at("problem"))),
                               cid, pr);
        ++counts.predictions;
      }
    }
    tx.commit();
  } catch (const json::exception& e) {
    throw InputError(std::string("import: malformed export: ") + e.what());
  }
  counts.heuristics = repo.recompute_heuristics();
  return counts;
}

}  // namespace vqt::db
