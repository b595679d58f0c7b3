// vqtune export: the heuristics table as csv, json, md or a C++ header (docs/database.md).
#include <iostream>

#include "cli/common.hpp"
#include "db/export.hpp"
#include "db/schema.hpp"

namespace vqt::cli {

namespace {

int run_export(const Args& args) {
  po::options_description desc(
      "vqtune export: heuristics as csv | json | md | cpp (see docs/database.md)");
  desc.add_options()("help,h", "this help")(
      "db", po::value<std::string>()->default_value("vqtune.db"), "database file")(
      "format", po::value<std::string>(), "csv, json, md or cpp")(
      "gpu", po::value<std::string>(),
      "one GPU class (h100-sxm), device name or UUID; all if absent")(
      "out", po::value<std::string>(), "write to this file instead of stdout")(
      "force", "overwrite an existing --out file");
  auto vm = parse(args, desc);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  if (!vm.count("format")) throw InputError("--format is required; accepted: csv, json, md, cpp");
  const db::ExportFormat fmt = db::parse_export_format(vm["format"].as<std::string>());
  const std::string path = vm["db"].as<std::string>();
  db::Repository repo = db::Repository::open(path, db::Access::read_only);
  db::check_integrity(repo.connection());
  std::string gpu_key;
  if (vm.count("gpu")) {
    const std::string sel = vm["gpu"].as<std::string>();
    std::string known;
    for (const auto& g : repo.gpus()) {
      if (sel == g.gpu_key() || sel == g.name || sel == g.uuid) gpu_key = g.gpu_key();
      if (known.find(g.gpu_key()) == std::string::npos)
        known += (known.empty() ? "" : ", ") + g.gpu_key();
    }
    if (gpu_key.empty() && !repo.heuristics(sel).empty()) gpu_key = sel;  // model-only rows
    if (gpu_key.empty())
      throw InputError("--gpu " + sel + ": no such GPU in " + path +
                       "; known: " + (known.empty() ? "none" : known));
  }
  const std::string text = db::export_heuristics(repo, fmt, gpu_key);
  if (vm.count("out")) {
    const std::string out = vm["out"].as<std::string>();
    db::write_file_atomic(out, text, vm.count("force") > 0);
    std::cerr << "wrote " << out << "\n";
  } else {
    std::cout << text;
  }
  return 0;
}

}  // namespace

int cmd_export(const Args& args) {
  return guarded("export",
                 [&] { return db::file_errors_as_input_errors([&] { return run_export(args); }); });
}

}  // namespace vqt::cli
