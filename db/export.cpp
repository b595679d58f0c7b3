#include "db/export.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

namespace vqt::db {

using nlohmann::json;

ExportFormat parse_export_format(const std::string& text, const std::string& flag) {
  if (text == "csv") return ExportFormat::csv;
  if (text == "json") return ExportFormat::json;
  if (text == "md") return ExportFormat::md;
  if (text == "cpp") return ExportFormat::cpp;
  throw InputError(flag + ": unknown format '" + text + "'; accepted: csv, json, md, cpp");
}

namespace {

template <class T>
json opt(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

json candidate_json(const Candidate& c) {
  return {{"n_reg", c.n_reg},
          {"n_smem", c.n_smem},
          {"smem_copies", c.smem_copies},
          {"l1_bypass", c.l1_bypass},
          {"cb_split", c.cb_split},
          {"fusion", to_string(c.fusion)},
          {"dataflow", to_string(c.dataflow)},
          {"tile_m", c.tile_m},
          {"tile_n", c.tile_n},
          {"tile_k", c.tile_k},
          {"threads", c.threads},
          {"split_k", c.split_k}};
}

json problem_json(const Problem& p) {
  const VqConfig& v = p.vq;
  return {{"op", to_string(p.op)},
          {"vq",
           {{"key", v.key()},
            {"name", v.name},
            {"vec_size", v.vec_size},
            {"index_bits", v.index_bits},
            {"residuals", v.residuals},
            {"scope", to_string(v.scope)},
            {"tile_rows", v.tile_rows},
            {"tile_cols", v.tile_cols},
            {"channel_group", v.channel_group},
            {"lattice_entries", v.lattice_entries}}},
          {"m", p.m},
          {"n", p.n},
          {"k", p.k},
          {"batch", p.batch},
          {"q_heads", p.q_heads},
          {"kv_heads", p.kv_heads},
          {"head_dim", p.head_dim},
          {"context", p.context}};
}

}  // namespace

Problem problem_from_json(const json& j) {
  Problem p;
  p.op = parse_op(j.at("op").get<std::string>());
  const json& v = j.at("vq");
  p.vq.name = v.at("name").get<std::string>();
  p.vq.vec_size = v.at("vec_size").get<int>();
  p.vq.index_bits = v.at("index_bits").get<int>();
  p.vq.residuals = v.at("residuals").get<int>();
  const std::string scope = v.at("scope").get<std::string>();
  p.vq.scope = scope == "per_tile"         ? Scope::per_tile
               : scope == "per_head_group" ? Scope::per_head_group
                                           : Scope::per_tensor;
  p.vq.tile_rows = v.at("tile_rows").get<int>();
  p.vq.tile_cols = v.at("tile_cols").get<int>();
  p.vq.channel_group = v.at("channel_group").get<int>();
  p.vq.lattice_entries = v.at("lattice_entries").get<int>();
  for (const char* f : {"m", "n", "k", "batch", "q_heads", "kv_heads", "head_dim", "context"}) {
    const auto x = j.at(f).get<std::int64_t>();
    if (!std::strcmp(f, "m")) p.m = x;
    if (!std::strcmp(f, "n")) p.n = x;
    if (!std::strcmp(f, "k")) p.k = x;
    if (!std::strcmp(f, "batch")) p.batch = x;
    if (!std::strcmp(f, "q_heads")) p.q_heads = x;
    if (!std::strcmp(f, "kv_heads")) p.kv_heads = x;
    if (!std::strcmp(f, "head_dim")) p.head_dim = x;
    if (!std::strcmp(f, "context")) p.context = x;
  }
  if (p.vq.key() != v.at("key").get<std::string>())
    throw InputError("import: VQ fields do not match their key " + v.at("key").get<std::string>());
  return p;
}

namespace {

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string num(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", x);
  return buf;
}

template <class T>
std::string opt_text(const std::optional<T>& v) {
  if (!v) return "";
  if constexpr (std::is_same_v<T, double>)
    return num(*v);
  else if constexpr (std::is_same_v<T, std::string>)
    return *v;
  else
    return std::to_string(*v);
}

const std::vector<std::string>& csv_columns() {
  static const std::vector<std::string> cols = {"gpu_key",
                                                "gpu_name",
                                                "gpu_uuid",
                                                "compute_capability",
                                                "driver",
                                                "cuda_version",
                                                "op",
                                                "vq_key",
                                                "vq_name",
                                                "bucket",
                                                "problem_key",
                                                "m",
                                                "n",
                                                "k",
                                                "batch",
                                                "q_heads",
                                                "kv_heads",
                                                "head_dim",
                                                "context",
                                                "candidate_key",
                                                "n_reg",
                                                "n_smem",
                                                "smem_copies",
                                                "l1_bypass",
                                                "cb_split",
                                                "fusion",
                                                "dataflow",
                                                "tile_m",
                                                "tile_n",
                                                "tile_k",
                                                "threads",
                                                "split_k",
                                                "measured_s",
                                                "rel_stdev",
                                                "count",
                                                "predicted_s",
                                                "model_version",
                                                "source",
                                                "n_problems",
                                                "n_devices",
                                                "timer",
                                                "measurement_uid",
                                                "run_uuid",
                                                "run_kind",
                                                "build_commit",
                                                "vqtune_version",
                                                "measured_at"};
  return cols;
}

std::vector<std::string> csv_values(const HeuristicRow& r) {
  const Candidate& c = r.candidate;
  const Problem& p = r.problem;
  std::string cc;
  if (r.cc_major) cc = std::to_string(*r.cc_major) + "." + std::to_string(r.cc_minor.value_or(0));
  auto i = [](std::int64_t x) { return std::to_string(x); };
  return {r.gpu_key,
          opt_text(r.gpu_name),
          opt_text(r.gpu_uuid),
          cc,
          opt_text(r.driver),
          opt_text(r.cuda_version),
          r.op,
          r.vq_key,
          p.vq.name,
          r.bucket,
          r.problem_key,
          i(p.m),
          i(p.n),
          i(p.k),
          i(p.batch),
          i(p.q_heads),
          i(p.kv_heads),
          i(p.head_dim),
          i(p.context),
          r.candidate_key,
          i(c.n_reg),
          i(c.n_smem),
          i(c.smem_copies),
          i(c.l1_bypass ? 1 : 0),
          i(c.cb_split),
          to_string(c.fusion),
          to_string(c.dataflow),
          i(c.tile_m),
          i(c.tile_n),
          i(c.tile_k),
          i(c.threads),
          i(c.split_k),
          opt_text(r.measured_s),
          opt_text(r.rel_stdev),
          opt_text(r.count),
          opt_text(r.predicted_s),
          opt_text(r.model_version),
          to_string(r.source),
          i(r.n_problems),
          i(r.n_devices),
          opt_text(r.timer),
          opt_text(r.measurement_uid),
          opt_text(r.run_uuid),
          opt_text(r.run_kind),
          opt_text(r.build_commit),
          opt_text(r.vqtune_version),
          opt_text(r.measured_at)};
}

std::string export_csv(const std::vector<HeuristicRow>& rows) {
  std::ostringstream os;
  const auto& cols = csv_columns();
  for (size_t i = 0; i < cols.size(); ++i) os << (i ? "," : "") << cols[i];
  os << "\n";
  for (const auto& r : rows) {
    const auto v = csv_values(r);
    for (size_t i = 0; i < v.size(); ++i) os << (i ? "," : "") << csv_field(v[i]);
    os << "\n";
  }
  return os.str();
}

std::string seconds_text(const std::optional<double>& s) {
  if (!s) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f us", *s * 1e6);
  return buf;
}

std::string export_md(const std::vector<HeuristicRow>& rows) {
  std::ostringstream os;
  os << "# vqtune heuristics\n\n";
  bool demo = false;
  for (const auto& r : rows) demo = demo || r.run_kind.value_or("") == "demo";
  if (demo)
    os << "**Rows from runs of kind `demo` are SYNTHETIC demo data, not measurements.**\n\n";
  os << "| GPU | op | VQ | bucket | candidate | measured | +/- | predicted | source | run |\n"
     << "|---|---|---|---|---|---:|---:|---:|---|---|\n";
  for (const auto& r : rows) {
    char rsd[32] = "-";
    if (r.rel_stdev) std::snprintf(rsd, sizeof rsd, "%.1f %%", *r.rel_stdev * 100);
    os << "| " << r.gpu_key << " | " << r.op << " | "
       << (r.problem.vq.name.empty() ? r.vq_key : r.problem.vq.name) << " | `" << r.bucket
       << "` | `" << r.candidate_key << "` | " << seconds_text(r.measured_s) << " | " << rsd
       << " | " << seconds_text(r.predicted_s) << " | " << to_string(r.source) << " | "
       << (r.run_kind ? *r.run_kind + " @ " + r.build_commit.value_or("?") : "-") << " |\n";
  }
  os << "\n" << rows.size() << " rows.\n";
  return os.str();
}

}  // namespace

std::string export_heuristics(Repository& repo, ExportFormat format, const std::string& gpu_key) {
  switch (format) {
    case ExportFormat::csv:
      return export_csv(repo.heuristics(gpu_key));
    case ExportFormat::json:
      return export_json(repo, gpu_key).dump(2) + "\n";
    case ExportFormat::md:
      return export_md(repo.heuristics(gpu_key));
    case ExportFormat::cpp:
      return export_cpp(repo.heuristics(gpu_key));
  }
  return "";
}

json export_json(Repository& repo, const std::string& gpu_key) {
  const auto rows = repo.heuristics(gpu_key);
  json out = {{"format", "vqtune-heuristics"},
              {"format_version", 1},
              {"schema_version", kSchemaVersion},
              {"exported_at", utc_now()},
              {"gpu", gpu_key.empty() ? json(nullptr) : json(gpu_key)}};
  auto& list = out["heuristics"] = json::array();
  auto& ev_m = repo.stmt(
      "SELECT m.uid, m.status, m.timer, m.median_s, m.min_s, m.max_s, m.rel_stdev, m.count, "
      "m.counters_json, m.measured_at, g.uuid, g.name, g.cc_major, g.cc_minor, g.driver, "
      "g.cuda_version, g.spec_key, r.uuid, r.kind, r.who, r.host, r.started_at, r.finished_at, "
      "r.args, r.vqtune_version, r.build_commit, r.note, " +
      problem_columns("p.") +
      " FROM measurements m JOIN gpus g ON g.id=m.gpu_id JOIN runs r ON r.id=m.run_id "
      "JOIN problems p ON p.id=m.problem_id JOIN candidates c ON c.id=m.candidate_id "
      "WHERE g.gpu_key=? AND p.op=? AND p.vq_key=? AND p.bucket=? AND c.key=? AND "
      "m.status='ok' ORDER BY m.uid");
  std::vector<json> rows_json;
  for (const auto& r : rows) {
    const auto v = csv_values(r);
    const auto& cols = csv_columns();
    // Identity columns as text (null when empty), numbers typed, problem and candidate nested.
    static const std::set<std::string> text_cols = {"gpu_key",
                                                    "gpu_name",
                                                    "gpu_uuid",
                                                    "compute_capability",
                                                    "driver",
                                                    "cuda_version",
                                                    "op",
                                                    "vq_key",
                                                    "vq_name",
                                                    "bucket",
                                                    "problem_key",
                                                    "candidate_key",
                                                    "source",
                                                    "timer",
                                                    "measurement_uid",
                                                    "run_uuid",
                                                    "run_kind",
                                                    "build_commit",
                                                    "vqtune_version",
                                                    "measured_at"};
    json j;
    for (size_t i = 0; i < cols.size(); ++i)
      if (text_cols.count(cols[i])) j[cols[i]] = v[i].empty() ? json(nullptr) : json(v[i]);
    j["measured_s"] = opt(r.measured_s);
    j["rel_stdev"] = opt(r.rel_stdev);
    j["count"] = opt(r.count);
    j["predicted_s"] = opt(r.predicted_s);
    j["model_version"] = opt(r.model_version);
    j["n_problems"] = r.n_problems;
    j["n_devices"] = r.n_devices;
    j["dims"] = {r.dims[0], r.dims[1], r.dims[2], r.dims[3], r.dims[4]};
    j["problem"] = problem_json(r.problem);
    j["candidate"] = candidate_json(r.candidate);
    json evidence = json::array();
    ev_m.bind(1, r.gpu_key).bind(2, r.op).bind(3, r.vq_key).bind(4, r.bucket);
    ev_m.bind(5, r.candidate_key);
    while (ev_m.step()) {
      evidence.push_back({{"uid", ev_m.get_text(0)},
                          {"status", ev_m.get_text(1)},
                          {"timer", ev_m.get_text(2)},
                          {"median_s", opt(ev_m.get_opt_double(3))},
                          {"min_s", opt(ev_m.get_opt_double(4))},
                          {"max_s", opt(ev_m.get_opt_double(5))},
                          {"rel_stdev", opt(ev_m.get_opt_double(6))},
                          {"count", ev_m.get_int(7)},
                          {"counters_json", opt(ev_m.get_opt_text(8))},
                          {"measured_at", ev_m.get_text(9)},
                          {"gpu",
                           {{"uuid", ev_m.get_text(10)},
                            {"name", ev_m.get_text(11)},
                            {"cc_major", ev_m.get_int(12)},
                            {"cc_minor", ev_m.get_int(13)},
                            {"driver", ev_m.get_text(14)},
                            {"cuda_version", ev_m.get_text(15)},
                            {"spec_key", ev_m.get_text(16)}}},
                          {"run",
                           {{"uuid", ev_m.get_text(17)},
                            {"kind", ev_m.get_text(18)},
                            {"who", ev_m.get_text(19)},
                            {"host", ev_m.get_text(20)},
                            {"started_at", ev_m.get_text(21)},
                            {"finished_at", opt(ev_m.get_opt_text(22))},
                            {"args", ev_m.get_text(23)},
                            {"vqtune_version", ev_m.get_text(24)},
                            {"build_commit", ev_m.get_text(25)},
                            {"note", ev_m.get_text(26)}}},
                          {"problem", problem_json(problem_from_columns(ev_m, 27))}});
    }
    ev_m.reset();
    j["evidence"] = evidence;
    list.push_back(std::move(j));
  }
  // Predictions behind each row: the winner's on every problem of its bucket.
  auto& ev_p = repo.stmt(
      "SELECT p.key, q.model_version, q.predicted_s, q.bound, q.bytes_json, " +
      problem_columns("p.") +
      " FROM predictions q JOIN problems p ON p.id=q.problem_id JOIN candidates c ON "
      "c.id=q.candidate_id WHERE q.gpu_key=? AND p.op=? AND p.vq_key=? AND p.bucket=? AND "
      "c.key=? ORDER BY p.key, q.model_version");
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    json preds = json::array();
    ev_p.bind(1, r.gpu_key).bind(2, r.op).bind(3, r.vq_key).bind(4, r.bucket);
    ev_p.bind(5, r.candidate_key);
    while (ev_p.step())
      preds.push_back({{"problem", problem_json(problem_from_columns(ev_p, 5))},
                       {"model_version", ev_p.get_text(1)},
                       {"predicted_s", ev_p.get_double(2)},
                       {"bound", ev_p.get_text(3)},
                       {"bytes_json", ev_p.get_text(4)}});
    ev_p.reset();
    list[i]["predictions"] = preds;
  }
  return out;
}

void write_file_atomic(const std::string& path, const std::string& content, bool force,
                       const std::string& flag) {
  struct stat st {};
  if (!force && ::stat(path.c_str(), &st) == 0)
    throw InputError(flag + ": " + path + " exists; pass --force to overwrite it");
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(flag + ": cannot write " + tmp + ": " + std::strerror(errno));
    out << content;
    out.flush();
    if (!out) {
      ::unlink(tmp.c_str());
      throw Error(flag + ": writing " + tmp + " failed: " + std::strerror(errno));
    }
  }
  if (force) {
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
      const int e = errno;
      ::unlink(tmp.c_str());
      throw Error(flag + ": cannot rename onto " + path + ": " + std::strerror(e));
    }
    return;
  }
  // link() fails when the target exists, so a file created since the check is not clobbered.
  const int rc = ::link(tmp.c_str(), path.c_str());
  const int e = errno;
  ::unlink(tmp.c_str());
  if (rc != 0) {
    if (e == EEXIST) throw InputError(flag + ": " + path + " exists; pass --force to overwrite it");
    throw Error(flag + ": cannot create " + path + ": " + std::strerror(e));
  }
}

}  // namespace vqt::db
