// vqtune: parse the verb, dispatch. Everything else lives in cmd_<verb>.cpp.
#include <iostream>
#include <string>

#include "cli/verbs.hpp"

namespace vqt::cli {

const std::vector<Verb>& verbs() {
  static const std::vector<Verb> all = {
      {"gpus", "list the built-in GPU specs", cmd_gpus},
      {"presets", "list the VQ presets and model shapes", cmd_presets},
      {"predict", "rank candidates for a problem with the cost model (no GPU needed)", cmd_predict},
      {"measure", "measure this GPU's ceilings into the database", cmd_measure},
      {"tune", "autotune problems on this GPU into the database", cmd_tune},
      {"profile", "one candidate: the model's bytes per level next to hardware counters",
       cmd_profile},
      {"accuracy", "the cost model against the measured times in a database", cmd_accuracy},
      {"export", "heuristics as csv | json | md | a C++ header", cmd_export},
      {"db", "init | info | merge | import heuristics databases", cmd_db},
  };
  return all;
}

}  // namespace vqt::cli

static void usage(std::ostream& os) {
  os << "usage: vqtune VERB [flags]   (vqtune VERB --help for its flags)\n\nverbs:\n";
  for (const auto& v : vqt::cli::verbs()) {
    std::string name = v.name;
    name.resize(12, ' ');
    os << "  " << name << v.summary << "\n";
  }
}

int main(int argc, char** argv) {
  if (argc < 2) {
    usage(std::cerr);
    return 2;
  }
  const std::string verb = argv[1];
  if (verb == "--help" || verb == "-h" || verb == "help") {
    usage(std::cout);
    return 0;
  }
  for (const auto& v : vqt::cli::verbs())
    if (verb == v.name) return v.run(vqt::cli::Args(argv + 2, argv + argc));
  std::cerr << "vqtune: unknown verb '" << verb << "'; run vqtune --help for the list\n";
  return 2;
}
