// vqtune db init|info|merge|import: create, inspect, merge and import heuristics databases.
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/common.hpp"
#include "db/export.hpp"
#include "db/fixture.hpp"
#include "db/merge.hpp"
#include "db/repository.hpp"
#include "db/schema.hpp"

namespace vqt::cli {

namespace {

constexpr const char* kDefaultDb = "vqtune.db";

const char* kUsage =
    "usage: vqtune db init   [--db F] [--demo-fixture]   create (or migrate) a database\n"
    "       vqtune db info   [--db F] [--json]            GPUs, row counts, last run, integrity\n"
    "       vqtune db merge  OUT IN...                    merge databases into OUT\n"
    "       vqtune db import [--db F] IN.json             import a `vqtune export --format json`\n";

int db_init(const Args& args) {
  po::options_description desc("vqtune db init: create a database, or migrate an older one");
  desc.add_options()("help,h", "this help")(
      "db", po::value<std::string>()->default_value(kDefaultDb), "database file")(
      "demo-fixture",
      "fill it with SYNTHETIC demo rows (2 GPUs, measurements, predictions, heuristics), "
      "recorded under a run of kind 'demo'; refused when the file already holds measurements");
  auto vm = parse(args, desc);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  const std::string path = vm["db"].as<std::string>();
  db::Repository repo = db::Repository::open(path, db::Access::create);
  db::check_integrity(repo.connection());
  if (vm.count("demo-fixture")) {
    std::int64_t n = 0;
    for (const auto& [table, rows] : repo.counts().rows)
      if (table == "measurements") n = rows;
    if (n > 0)
      throw InputError("--demo-fixture: " + path + " already holds " + std::to_string(n) +
                       " measurements; demo rows go into a new file only");
    const auto c = db::fill_demo_fixture(repo);
    std::cout << path << ": added SYNTHETIC demo data (" << c.measurements << " measurements, "
              << c.failed << " failed, " << c.predictions << " predictions, " << c.heuristics
              << " heuristics rows)\n";
  } else {
    std::cout << path << ": vqtune database, schema version "
              << db::schema_version(repo.connection()) << "\n";
  }
  return 0;
}

int db_info(const Args& args) {
  po::options_description desc("vqtune db info: what a database holds");
  desc.add_options()("help,h", "this help")(
      "db", po::value<std::string>()->default_value(kDefaultDb), "database file")(
      "json", "machine-readable JSON on stdout");
  auto vm = parse(args, desc);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  const std::string path = vm["db"].as<std::string>();
  db::Repository repo = db::Repository::open(path, db::Access::read_only);
  db::check_integrity(repo.connection());
  const std::string check = "ok";
  const auto gpus = repo.gpus();
  const auto counts = repo.counts();
  const auto last = repo.last_run();
  if (vm.count("json")) {
    nlohmann::json j;
    j["path"] = path;
    j["schema_version"] = db::schema_version(repo.connection());
    j["integrity"] = check;
    j["gpus"] = nlohmann::json::array();
    for (const auto& g : gpus)
      j["gpus"].push_back(
          {{"gpu_key", g.gpu_key()},
           {"name", g.name},
           {"uuid", g.uuid},
           {"compute_capability", std::to_string(g.cc_major) + "." + std::to_string(g.cc_minor)},
           {"driver", g.driver},
           {"cuda_version", g.cuda_version}});
    for (const auto& [t, n] : counts.rows) j["counts"][t] = n;
    if (last) {
      const auto& r = last->info;
      j["last_run"] = {{"uuid", r.uuid},
                       {"kind", r.kind},
                       {"who", r.who},
                       {"host", r.host},
                       {"started_at", r.started_at},
                       {"finished_at", r.finished_at ? nlohmann::json(*r.finished_at) : nullptr},
                       {"args", r.args},
                       {"vqtune_version", r.vqtune_version},
                       {"build_commit", r.build_commit},
                       {"note", r.note}};
    } else {
      j["last_run"] = nullptr;
    }
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::cout << path << ": vqtune database, schema version " << db::schema_version(repo.connection())
            << ", integrity " << check << "\n\nGPUs (" << gpus.size() << "):\n";
  for (const auto& g : gpus)
    std::cout << "  " << g.gpu_key() << "  " << g.name << "  cc " << g.cc_major << "." << g.cc_minor
              << "  driver " << g.driver << "  CUDA " << g.cuda_version << "  " << g.uuid << "\n";
  std::cout << "\nrows:\n";
  for (const auto& [t, n] : counts.rows) {
    std::string name = t;
    name.resize(14, ' ');
    std::cout << "  " << name << n << "\n";
  }
  std::cout << "\nlast run: ";
  if (!last) {
    std::cout << "none\n";
  } else {
    const auto& r = last->info;
    std::cout << r.kind << " by " << r.who << "@" << r.host << ", started " << r.started_at << ", "
              << (r.finished_at ? "finished " + *r.finished_at : "not finished") << "\n  vqtune "
              << r.vqtune_version << " (" << r.build_commit << ")";
    if (!r.args.empty()) std::cout << ", args: " << r.args;
    std::cout << "\n";
    if (!r.note.empty()) std::cout << "  note: " << r.note << "\n";
  }
  return 0;
}

int db_merge(const Args& args) {
  po::options_description desc("vqtune db merge OUT IN...: merge databases into OUT");
  desc.add_options()("help,h", "this help")("files", po::value<std::vector<std::string>>(),
                                            "OUT then the inputs");
  po::positional_options_description pos;
  pos.add("files", -1);
  auto vm = parse(args, desc, &pos);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  auto files =
      vm.count("files") ? vm["files"].as<std::vector<std::string>>() : std::vector<std::string>{};
  if (files.size() < 2) throw InputError("give OUT and at least one IN file");
  const std::string out = files.front();
  files.erase(files.begin());
  db::Repository repo = db::Repository::open(out, db::Access::create);
  db::check_integrity(repo.connection());
  const auto c = db::merge_databases(repo, files);
  std::cout << out << ": merged " << files.size() << " file(s); rows added:";
  for (const auto& [t, n] : c.inserted) std::cout << " " << t << " " << n;
  std::cout << "; " << c.heuristics << " heuristics rows\n";
  return 0;
}

int db_import(const Args& args) {
  po::options_description desc("vqtune db import [--db F] IN.json: import a JSON export");
  desc.add_options()("help,h", "this help")(
      "db", po::value<std::string>()->default_value(kDefaultDb), "database file (created)")(
      "input", po::value<std::string>(), "a file written by vqtune export --format json");
  po::positional_options_description pos;
  pos.add("input", 1);
  auto vm = parse(args, desc, &pos);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  if (!vm.count("input")) throw InputError("give the JSON file to import");
  const std::string in = vm["input"].as<std::string>();
  std::ifstream f(in);
  if (!f) throw InputError("cannot read " + in);
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(f);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(in + " is not JSON (" + e.what() + ")");
  }
  const std::string path = vm["db"].as<std::string>();
  db::Repository repo = db::Repository::open(path, db::Access::create);
  db::check_integrity(repo.connection());
  const auto c = db::import_json(repo, doc);
  std::cout << path << ": imported " << c.measurements << " measurements (" << c.skipped
            << " already there), " << c.predictions << " predictions; " << c.heuristics
            << " heuristics rows\n";
  return 0;
}

}  // namespace

int cmd_db(const Args& args) {
  const std::string sub = args.empty() ? "" : args.front();
  const Args rest = args.empty() ? Args{} : Args(args.begin() + 1, args.end());
  auto run = [&rest](int (*f)(const Args&)) {
    return [f, &rest] { return db::file_errors_as_input_errors([&] { return f(rest); }); };
  };
  if (sub == "init") return guarded("db init", run(db_init));
  if (sub == "info") return guarded("db info", run(db_info));
  if (sub == "merge") return guarded("db merge", run(db_merge));
  if (sub == "import") return guarded("db import", run(db_import));
  if (sub == "--help" || sub == "-h" || sub == "help") {
    std::cout << kUsage;
    return 0;
  }
  std::cerr << "vqtune db: "
            << (sub.empty() ? "missing sub-command" : "unknown sub-command '" + sub + "'")
            << "; accepted: init, info, merge, import\n"
            << kUsage;
  return 2;
}

}  // namespace vqt::cli
