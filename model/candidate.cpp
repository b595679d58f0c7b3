#include "model/candidate.hpp"

#include <map>
#include <sstream>

#include "vq/error.hpp"

namespace vqt {

const char* to_string(Fusion f) {
  switch (f) {
    case Fusion::shuffle:
      return "shuffle";
    case Fusion::smem:
      return "smem";
    case Fusion::unfused:
      return "unfused";
  }
  return "?";
}

const char* to_string(Dataflow d) {
  return d == Dataflow::token_split ? "token_split" : "codebook_centric";
}

std::string Candidate::key() const {
  std::ostringstream os;
  os << "reg=" << n_reg << ",smem=" << n_smem << ",copies=" << smem_copies
     << ",l1bypass=" << (l1_bypass ? 1 : 0) << ",cbsplit=" << cb_split
     << ",fusion=" << to_string(fusion) << ",dataflow=" << to_string(dataflow) << ",tile=" << tile_m
     << "x" << tile_n << "x" << tile_k << ",threads=" << threads << ",splitk=" << split_k;
  return os.str();
}

Candidate Candidate::from_key(const std::string& key) {
  auto bad = [&](const std::string& why) { return InputError("candidate '" + key + "': " + why); };
  std::map<std::string, std::string> kv;
  std::istringstream is(key);
  std::string item;
  while (std::getline(is, item, ',')) {
    auto eq = item.find('=');
    if (eq == std::string::npos) throw bad("item '" + item + "' has no '='");
    kv[item.substr(0, eq)] = item.substr(eq + 1);
  }
  auto get_int = [&](const char* name) -> std::int32_t {
    auto it = kv.find(name);
    if (it == kv.end()) throw bad(std::string("missing ") + name);
    try {
      size_t used = 0;
      long v = std::stol(it->second, &used);
      if (used != it->second.size()) throw bad(std::string("bad number for ") + name);
      return std::int32_t(v);
    } catch (const std::logic_error&) {
      throw bad(std::string("bad number for ") + name);
    }
  };
  Candidate c;
  c.n_reg = get_int("reg");
  c.n_smem = get_int("smem");
  c.smem_copies = get_int("copies");
  c.l1_bypass = get_int("l1bypass") != 0;
  c.cb_split = get_int("cbsplit");
  const std::string f = kv.count("fusion") ? kv["fusion"] : "";
  if (f == "shuffle")
    c.fusion = Fusion::shuffle;
  else if (f == "smem")
    c.fusion = Fusion::smem;
  else if (f == "unfused")
    c.fusion = Fusion::unfused;
  else
    throw bad("fusion must be shuffle, smem or unfused");
  const std::string d = kv.count("dataflow") ? kv["dataflow"] : "";
  if (d == "token_split")
    c.dataflow = Dataflow::token_split;
  else if (d == "codebook_centric")
    c.dataflow = Dataflow::codebook_centric;
  else
    throw bad("dataflow must be token_split or codebook_centric");
  const std::string t = kv.count("tile") ? kv["tile"] : "";
  int a = 0, b = 0, cc = 0;
  char x1 = 0, x2 = 0;
  std::istringstream ts(t);
  if (!(ts >> a >> x1 >> b >> x2 >> cc) || x1 != 'x' || x2 != 'x') throw bad("tile must be MxNxK");
  c.tile_m = a;
  c.tile_n = b;
  c.tile_k = cc;
  c.threads = get_int("threads");
  c.split_k = get_int("splitk");
  return c;
}

bool operator==(const Candidate& a, const Candidate& b) {
  return a.key() == b.key();
}

}  // namespace vqt
