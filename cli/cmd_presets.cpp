#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/common.hpp"
#include "model/model_shapes.hpp"
#include "vq/vq_config.hpp"

namespace vqt::cli {

int cmd_presets(const Args& args) {
  return guarded("presets", [&] {
    po::options_description desc("vqtune presets: the VQ presets built in");
    desc.add_options()("help,h", "this help");
    add_format_flags(desc);
    auto vm = parse(args, desc);
    if (vm.count("help")) {
      std::cout << desc << "\n";
      return 0;
    }
    const Format fmt = chosen_format(vm);
    if (fmt == Format::json) {
      nlohmann::json out;
      for (const auto& p : vq_presets()) {
        const auto& c = p.config;
        out["vq"].push_back({{"name", p.name},
                             {"v", c.vec_size},
                             {"b", c.index_bits},
                             {"r", c.residuals},
                             {"scope", to_string(c.scope)},
                             {"key", c.key()},
                             {"bits_per_element", c.bits_per_element()},
                             {"codebook_bytes", c.codebook_bytes_all_levels()},
                             {"origin", p.origin}});
      }
      for (const auto& m : model_shapes())
        out["models"].push_back({{"name", m.key},
                                 {"layers", m.layers},
                                 {"hidden", m.hidden},
                                 {"intermediate", m.intermediate},
                                 {"q_heads", m.q_heads},
                                 {"kv_heads", m.kv_heads},
                                 {"head_dim", m.head_dim},
                                 {"source", m.source}});
      std::cout << out.dump(2) << "\n";
      return 0;
    }
    if (fmt == Format::csv)
      std::cout << "name,v,b,r,scope,bits_per_element,codebook_bytes,origin\n";
    else
      std::cout << std::left << std::setw(11) << "preset" << std::setw(34) << "format"
                << std::setw(5) << "bits" << std::setw(10) << "codebooks"
                << "origin\n";
    for (const auto& p : vq_presets()) {
      const auto& c = p.config;
      if (fmt == Format::csv) {
        std::cout << p.name << "," << c.vec_size << "," << c.index_bits << "," << c.residuals << ","
                  << to_string(c.scope) << "," << c.bits_per_element() << ","
                  << c.codebook_bytes_all_levels() << ",\"" << p.origin << "\"\n";
      } else {
        std::ostringstream kib;
        kib << double(c.codebook_bytes_all_levels()) / 1024.0 << " KiB";
        std::cout << std::left << std::setw(11) << p.name << std::setw(34)
                  << c.describe().substr(p.name.size() + 3) << std::setw(5) << c.bits_per_element()
                  << std::setw(10) << kib.str() << p.origin << "\n";
      }
    }
    if (fmt == Format::table) {
      std::cout << "\nmodel shapes (--model):\n";
      for (const auto& m : model_shapes())
        std::cout << "  " << std::left << std::setw(12) << m.key << m.layers << " layers, hidden "
                  << m.hidden << ", intermediate " << m.intermediate << ", heads " << m.q_heads
                  << "/" << m.kv_heads << " x " << m.head_dim << "  (" << m.source << ")\n";
    }
    return 0;
  });
}

}  // namespace vqt::cli
