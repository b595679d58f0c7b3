#include "db/repository.hpp"

#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <random>

#include "db/bucket.hpp"

#ifndef VQT_VERSION
#define VQT_VERSION "unknown"
#endif
namespace vqt::db {

// The commit the binary was built from, stamped at build time (cmake/build_commit.cmake).
const char* build_commit_stamp();

const char* to_string(Status s) {
  switch (s) {
    case Status::ok:
      return "ok";
    case Status::launch_failed:
      return "launch_failed";
    case Status::resource_limit:
      return "resource_limit";
    case Status::validation_failed:
      return "validation_failed";
    case Status::compile_failed:
      return "compile_failed";
    case Status::timeout:
      return "timeout";
  }
  return "?";
}

const char* to_string(Timer t) {
  return t == Timer::cupti ? "cupti" : "cuda_event";
}

const char* to_string(Source s) {
  switch (s) {
    case Source::measured:
      return "measured";
    case Source::model:
      return "model";
    case Source::merged:
      return "merged";
  }
  return "?";
}

Status parse_status(const std::string& s) {
  for (Status x : {Status::ok, Status::launch_failed, Status::resource_limit,
                   Status::validation_failed, Status::compile_failed, Status::timeout})
    if (s == to_string(x)) return x;
  throw InputError("unknown measurement status '" + s +
                   "'; accepted: ok, launch_failed, resource_limit, validation_failed, "
                   "compile_failed, timeout");
}

Timer parse_timer(const std::string& s) {
  if (s == "cupti") return Timer::cupti;
  if (s == "cuda_event") return Timer::cuda_event;
  throw InputError("unknown timer '" + s + "'; accepted: cupti, cuda_event");
}

Source parse_source(const std::string& s) {
  for (Source x : {Source::measured, Source::model, Source::merged})
    if (s == to_string(x)) return x;
  throw InputError("unknown heuristic source '" + s + "'; accepted: measured, model, merged");
}

std::string random_uid() {
  static thread_local std::mt19937_64 gen;
  static thread_local pid_t seeded_pid = 0;
  if (seeded_pid != ::getpid()) {  // reseed in a forked child, or the children repeat the parent
    seeded_pid = ::getpid();
    std::random_device rd;
    std::seed_seq seq{
        rd(), rd(), rd(), static_cast<unsigned>(seeded_pid),
        static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count())};
    gen.seed(seq);
  }
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (int w = 0; w < 2; ++w) {
    std::uint64_t v = gen();
    for (int i = 0; i < 16; ++i, v >>= 4) s += hex[v & 15];
  }
  return s;
}

std::string utc_now() {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const std::time_t t = system_clock::to_time_t(now);
  const auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, int(ms));
  return buf;
}

const char* problem_columns() {
  return "key, op, vq_key, vq_name, vec_size, index_bits, residuals, scope, tile_rows, tile_cols, "
         "channel_group, lattice_entries, m, n, k, batch, q_heads, kv_heads, head_dim, context, "
         "bucket";
}

std::string problem_columns(const std::string& prefix) {
  std::string out = prefix;
  for (const char* c = problem_columns(); *c; ++c) {
    out += *c;
    if (*c == ' ') out += prefix;
  }
  return out;
}

Problem problem_from_columns(const Statement& st, int f) {
  Problem p;
  p.op = parse_op(st.get_text(f + 1));
  VqConfig& v = p.vq;
  v.name = st.get_text(f + 3);
  v.vec_size = int(st.get_int(f + 4));
  v.index_bits = int(st.get_int(f + 5));
  v.residuals = int(st.get_int(f + 6));
  const std::string scope = st.get_text(f + 7);
  v.scope = scope == "per_tile"         ? Scope::per_tile
            : scope == "per_head_group" ? Scope::per_head_group
                                        : Scope::per_tensor;
  v.tile_rows = int(st.get_int(f + 8));
  v.tile_cols = int(st.get_int(f + 9));
  v.channel_group = int(st.get_int(f + 10));
  v.lattice_entries = int(st.get_int(f + 11));
  p.m = st.get_int(f + 12);
  p.n = st.get_int(f + 13);
  p.k = st.get_int(f + 14);
  p.batch = st.get_int(f + 15);
  p.q_heads = st.get_int(f + 16);
  p.kv_heads = st.get_int(f + 17);
  p.head_dim = st.get_int(f + 18);
  p.context = st.get_int(f + 19);
  return p;
}

// Steps once, reads column 0 and resets, so no statement is left holding a read snapshot.
static std::optional<std::int64_t> one_int(Statement& st) {
  if (!st.step()) return std::nullopt;
  const std::int64_t v = st.get_int(0);
  st.reset();
  return v;
}

// Joins the caller's transaction, or opens one (BEGIN IMMEDIATE, retried on SQLITE_BUSY) when the
// connection is in autocommit mode, so every write method is safe against concurrent writers.
class WriteScope {
 public:
  explicit WriteScope(Connection& c) : exceptions_(std::uncaught_exceptions()) {
    if (sqlite3_get_autocommit(c.handle())) tx_.emplace(c);
  }
  // Commits when the scope ends normally; an exception leaves Transaction to roll back.
  ~WriteScope() noexcept(false) {
    if (tx_ && std::uncaught_exceptions() == exceptions_) tx_->commit();
  }
  WriteScope(const WriteScope&) = delete;
  WriteScope& operator=(const WriteScope&) = delete;

 private:
  int exceptions_;
  std::optional<Transaction> tx_;
};

Repository::Repository(Connection conn) : conn_(std::move(conn)) {}

Repository Repository::open(const std::string& path, Access access, int busy_timeout_ms) {
  return Repository(open_database(path, access, busy_timeout_ms));
}

Statement& Repository::stmt(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) it = cache_.emplace(sql, std::make_unique<Statement>(conn_, sql)).first;
  it->second->reset();
  return *it->second;
}

RunInfo Repository::this_process_run(const std::string& kind, const std::string& args) {
  RunInfo r;
  r.kind = kind;
  const char* user = std::getenv("USER");
  const passwd* pw = user && *user ? nullptr : ::getpwuid(::getuid());
  r.who = user && *user ? user : pw && pw->pw_name ? pw->pw_name : "unknown";
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = 0;
  r.host = host[0] ? host : "unknown";
  r.args = args;
  r.vqtune_version = VQT_VERSION;
  r.build_commit = build_commit_stamp();
  return r;
}

std::int64_t Repository::upsert_gpu(const GpuRecord& g) {
  WriteScope ws(conn_);
  if (g.uuid.empty() || g.name.empty()) throw InputError("a GPU record needs a uuid and a name");
  auto& ins = stmt(
      "INSERT INTO gpus(uuid, name, cc_major, cc_minor, driver, cuda_version, spec_key, gpu_key) "
      "VALUES(?,?,?,?,?,?,?,?) ON CONFLICT(uuid, driver, cuda_version) DO NOTHING");
  ins.bind(1, g.uuid).bind(2, g.name).bind(3, g.cc_major).bind(4, g.cc_minor);
  ins.bind(5, g.driver).bind(6, g.cuda_version).bind(7, g.spec_key).bind(8, g.gpu_key()).run();
  auto& sel = stmt("SELECT id FROM gpus WHERE uuid=? AND driver=? AND cuda_version=?");
  sel.bind(1, g.uuid).bind(2, g.driver).bind(3, g.cuda_version);
  const auto id = one_int(sel);
  if (!id) throw Error("gpu row vanished after insert: " + g.uuid);
  return *id;
}

std::int64_t Repository::begin_run(RunInfo& r) {
  WriteScope ws(conn_);
  if (r.uuid.empty()) r.uuid = random_uid();
  if (r.started_at.empty()) r.started_at = utc_now();
  auto& st = stmt(
      "INSERT INTO runs(uuid, kind, who, host, started_at, finished_at, args, vqtune_version, "
      "build_commit, note) VALUES(?,?,?,?,?,?,?,?,?,?) ON CONFLICT(uuid) DO NOTHING");
  st.bind(1, r.uuid).bind(2, r.kind).bind(3, r.who).bind(4, r.host).bind(5, r.started_at);
  st.bind(6, r.finished_at).bind(7, r.args).bind(8, r.vqtune_version).bind(9, r.build_commit);
  st.bind(10, r.note).run();
  auto& sel = stmt("SELECT id FROM runs WHERE uuid=?");
  sel.bind(1, r.uuid);
  const auto id = one_int(sel);
  if (!id) throw Error("run row vanished after insert: " + r.uuid);
  return *id;
}

void Repository::finish_run(std::int64_t run_id) {
  WriteScope ws(conn_);
  stmt("UPDATE runs SET finished_at=? WHERE id=?").bind(1, utc_now()).bind(2, run_id).run();
}

std::int64_t Repository::record_ceiling(std::int64_t gpu_id, std::optional<std::int64_t> run_id,
                                        Ceiling c) {
  WriteScope ws(conn_);
  if (c.uid.empty()) c.uid = random_uid();
  if (c.measured_at.empty()) c.measured_at = utc_now();
  auto& st = stmt(
      "INSERT INTO ceilings(uid, gpu_id, run_id, name, value, unit, rel_spread, count, "
      "measured_at) VALUES(?,?,?,?,?,?,?,?,?) ON CONFLICT(uid) DO NOTHING");
  st.bind(1, c.uid).bind(2, gpu_id).bind(3, run_id).bind(4, c.name).bind(5, c.value);
  st.bind(6, c.unit).bind(7, c.rel_spread).bind(8, c.count).bind(9, c.measured_at).run();
  return conn_.last_insert_rowid();
}

std::int64_t Repository::upsert_problem(const Problem& p) {
  WriteScope ws(conn_);
  const std::string key = p.key();
  auto& sel = stmt("SELECT id FROM problems WHERE key=?");
  sel.bind(1, key);
  if (const auto id = one_int(sel)) return *id;
  p.validate();
  const VqConfig& v = p.vq;
  auto& st = stmt(std::string("INSERT INTO problems(") + problem_columns() +
                  ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
                  "ON CONFLICT(key) DO NOTHING");
  st.bind(1, key).bind(2, to_string(p.op)).bind(3, v.key()).bind(4, v.name).bind(5, v.vec_size);
  st.bind(6, v.index_bits).bind(7, v.residuals).bind(8, to_string(v.scope)).bind(9, v.tile_rows);
  st.bind(10, v.tile_cols).bind(11, v.channel_group).bind(12, v.lattice_entries).bind(13, p.m);
  st.bind(14, p.n).bind(15, p.k).bind(16, p.batch).bind(17, p.q_heads).bind(18, p.kv_heads);
  st.bind(19, p.head_dim).bind(20, p.context).bind(21, bucket_key(p.op, bucket_of(p))).run();
  auto& again = stmt("SELECT id FROM problems WHERE key=?");
  again.bind(1, key);
  const auto id = one_int(again);
  if (!id) throw Error("problem row vanished after insert: " + key);
  return *id;
}

std::int64_t Repository::upsert_candidate(const Candidate& c) {
  WriteScope ws(conn_);
  const std::string key = c.key();
  auto& sel = stmt("SELECT id FROM candidates WHERE key=?");
  sel.bind(1, key);
  if (const auto id = one_int(sel)) return *id;
  auto& st = stmt(
      "INSERT INTO candidates(key, n_reg, n_smem, smem_copies, l1_bypass, cb_split, fusion, "
      "dataflow, tile_m, tile_n, tile_k, threads, split_k) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?) "
      "ON CONFLICT(key) DO NOTHING");
  st.bind(1, key).bind(2, c.n_reg).bind(3, c.n_smem).bind(4, c.smem_copies);
  st.bind(5, c.l1_bypass ? 1 : 0).bind(6, c.cb_split).bind(7, to_string(c.fusion));
  st.bind(8, to_string(c.dataflow)).bind(9, c.tile_m).bind(10, c.tile_n).bind(11, c.tile_k);
  st.bind(12, c.threads).bind(13, c.split_k).run();
  auto& again = stmt("SELECT id FROM candidates WHERE key=?");
  again.bind(1, key);
  const auto id = one_int(again);
  if (!id) throw Error("candidate row vanished after insert: " + key);
  return *id;
}

bool Repository::insert_measurement_if_new(std::int64_t run_id, std::int64_t gpu_id,
                                           std::int64_t problem_id, std::int64_t candidate_id,
                                           const Measurement& m) {
  WriteScope ws(conn_);
  if (m.status == Status::ok && (!m.median_s || *m.median_s <= 0 || m.count <= 0))
    throw InputError("an ok measurement needs a positive median time and count");
  auto& st = stmt(
      "INSERT INTO measurements(uid, run_id, gpu_id, problem_id, candidate_id, status, timer, "
      "median_s, min_s, max_s, rel_stdev, count, counters_json, measured_at) "
      "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(uid) DO NOTHING");
  st.bind(1, m.uid.empty() ? random_uid() : m.uid).bind(2, run_id).bind(3, gpu_id);
  st.bind(4, problem_id).bind(5, candidate_id).bind(6, to_string(m.status));
  st.bind(7, to_string(m.timer)).bind(8, m.median_s).bind(9, m.min_s).bind(10, m.max_s);
  st.bind(11, m.rel_stdev).bind(12, m.count).bind(13, m.counters_json);
  st.bind(14, m.measured_at.empty() ? utc_now() : m.measured_at).run();
  return conn_.changes() > 0;
}

std::int64_t Repository::insert_measurement(std::int64_t run_id, std::int64_t gpu_id,
                                            std::int64_t problem_id, std::int64_t candidate_id,
                                            Measurement m) {
  if (m.uid.empty()) m.uid = random_uid();
  if (!insert_measurement_if_new(run_id, gpu_id, problem_id, candidate_id, m))
    throw Error("measurement uid " + m.uid + " is already stored");
  return conn_.last_insert_rowid();
}

void Repository::insert_prediction(const std::string& gpu_key, std::int64_t problem_id,
                                   std::int64_t candidate_id, const Prediction& p) {
  WriteScope ws(conn_);
  auto& st = stmt(
      "INSERT INTO predictions(gpu_key, problem_id, candidate_id, model_version, predicted_s, "
      "bound, bytes_json) VALUES(?,?,?,?,?,?,?) ON CONFLICT(gpu_key, problem_id, candidate_id, "
      "model_version) DO UPDATE SET predicted_s=excluded.predicted_s, bound=excluded.bound, "
      "bytes_json=excluded.bytes_json");
  st.bind(1, gpu_key).bind(2, problem_id).bind(3, candidate_id).bind(4, p.model_version);
  st.bind(5, p.predicted_s).bind(6, p.bound).bind(7, p.bytes_json).run();
}

void Repository::save_coefficients(const std::string& gpu_key, const std::string& model_version,
                                   const std::string& coefficients_json) {
  WriteScope ws(conn_);
  auto& st = stmt(
      "INSERT INTO coefficients(gpu_key, model_version, coefficients_json, fitted_at) "
      "VALUES(?,?,?,?) ON CONFLICT(gpu_key, model_version) DO UPDATE SET "
      "coefficients_json=excluded.coefficients_json, fitted_at=excluded.fitted_at");
  st.bind(1, gpu_key).bind(2, model_version).bind(3, coefficients_json).bind(4, utc_now()).run();
}

std::optional<std::string> Repository::load_coefficients(const std::string& gpu_key,
                                                         const std::string& model_version) {
  auto& st = model_version.empty()
                 ? stmt(
                       "SELECT coefficients_json FROM coefficients WHERE gpu_key=? "
                       "ORDER BY fitted_at DESC, id DESC LIMIT 1")
                 : stmt(
                       "SELECT coefficients_json FROM coefficients WHERE gpu_key=? AND "
                       "model_version=?");
  st.bind(1, gpu_key);
  if (!model_version.empty()) st.bind(2, model_version);
  if (!st.step()) return std::nullopt;
  std::string json = st.get_text(0);
  st.reset();
  return json;
}

bool Repository::already_measured(const std::string& gpu_uuid, const Problem& p, const Candidate& c,
                                  const std::string& build_commit) {
  auto& st = stmt(
      "SELECT 1 FROM measurements m JOIN gpus g ON g.id=m.gpu_id JOIN runs r ON r.id=m.run_id "
      "JOIN problems p ON p.id=m.problem_id JOIN candidates c ON c.id=m.candidate_id "
      "WHERE g.uuid=? AND p.key=? AND c.key=? AND r.build_commit=? LIMIT 1");
  st.bind(1, gpu_uuid).bind(2, p.key()).bind(3, c.key()).bind(4, build_commit);
  return one_int(st).has_value();
}

std::optional<Measurement> Repository::latest_measurement(const std::string& gpu_uuid,
                                                          const Problem& p, const Candidate& c,
                                                          const std::string& build_commit) {
  auto& st = stmt(
      "SELECT m.uid, m.status, m.timer, m.median_s, m.min_s, m.max_s, m.rel_stdev, m.count, "
      "m.counters_json, m.measured_at FROM measurements m JOIN gpus g ON g.id=m.gpu_id "
      "JOIN runs r ON r.id=m.run_id JOIN problems p ON p.id=m.problem_id "
      "JOIN candidates c ON c.id=m.candidate_id "
      "WHERE g.uuid=? AND p.key=? AND c.key=? AND r.build_commit=? ORDER BY m.id DESC LIMIT 1");
  st.bind(1, gpu_uuid).bind(2, p.key()).bind(3, c.key()).bind(4, build_commit);
  if (!st.step()) return std::nullopt;
  Measurement m;
  m.uid = st.get_text(0);
  m.status = parse_status(st.get_text(1));
  m.timer = parse_timer(st.get_text(2));
  m.median_s = st.get_opt_double(3);
  m.min_s = st.get_opt_double(4);
  m.max_s = st.get_opt_double(5);
  m.rel_stdev = st.get_opt_double(6);
  m.count = st.get_int(7);
  m.counters_json = st.get_opt_text(8);
  m.measured_at = st.get_text(9);
  st.reset();
  return m;
}

std::vector<Ceiling> Repository::ceilings(const std::string& gpu_key) {
  auto& st = stmt(
      "SELECT c.uid, c.name, c.value, c.unit, c.rel_spread, c.count, c.measured_at FROM ceilings c "
      "JOIN gpus g ON g.id=c.gpu_id WHERE g.gpu_key=? ORDER BY c.measured_at, c.id");
  st.bind(1, gpu_key);
  std::vector<Ceiling> out;
  while (st.step()) {
    Ceiling c;
    c.uid = st.get_text(0);
    c.name = st.get_text(1);
    c.value = st.get_double(2);
    c.unit = st.get_text(3);
    c.rel_spread = st.get_double(4);
    c.count = st.get_int(5);
    c.measured_at = st.get_text(6);
    out.push_back(c);
  }
  return out;
}

std::vector<GpuRecord> Repository::gpus() {
  std::vector<GpuRecord> out;
  auto& st = stmt(
      "SELECT uuid, name, cc_major, cc_minor, driver, cuda_version, spec_key FROM gpus "
      "ORDER BY gpu_key, uuid, driver");
  while (st.step()) {
    GpuRecord g;
    g.uuid = st.get_text(0);
    g.name = st.get_text(1);
    g.cc_major = int(st.get_int(2));
    g.cc_minor = int(st.get_int(3));
    g.driver = st.get_text(4);
    g.cuda_version = st.get_text(5);
    g.spec_key = st.get_text(6);
    out.push_back(g);
  }
  return out;
}

TableCounts Repository::counts() {
  TableCounts c;
  for (const char* t : {"gpus", "runs", "ceilings", "problems", "candidates", "measurements",
                        "predictions", "coefficients", "heuristics"})
    c.rows.emplace_back(t, conn_.query_int(std::string("SELECT count(*) FROM ") + t));
  return c;
}

std::optional<StoredRun> Repository::last_run() {
  auto& st = stmt(
      "SELECT id, uuid, kind, who, host, started_at, finished_at, args, vqtune_version, "
      "build_commit, note FROM runs ORDER BY started_at DESC, id DESC LIMIT 1");
  if (!st.step()) return std::nullopt;
  StoredRun r;
  r.id = st.get_int(0);
  r.info.uuid = st.get_text(1);
  r.info.kind = st.get_text(2);
  r.info.who = st.get_text(3);
  r.info.host = st.get_text(4);
  r.info.started_at = st.get_text(5);
  r.info.finished_at = st.get_opt_text(6);
  r.info.args = st.get_text(7);
  r.info.vqtune_version = st.get_text(8);
  r.info.build_commit = st.get_text(9);
  r.info.note = st.get_text(10);
  st.reset();
  return r;
}

}  // namespace vqt::db
