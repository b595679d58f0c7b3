#include "model/coefficients.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "vq/error.hpp"

namespace vqt {

void ModelCoefficients::validate() const {
#define VQT_COEF_CHECK(name, def, lo, hi, doc)                                                \
  if (!(std::isfinite(name) && name >= (lo) && name <= (hi)))                                 \
    throw InputError("model coefficient " #name "=" + std::to_string(name) + " is outside " + \
                     std::to_string(lo) + ".." + std::to_string(hi) + " (" doc ")");
  VQT_MODEL_COEFFICIENTS(VQT_COEF_CHECK)
#undef VQT_COEF_CHECK
}

std::string ModelCoefficients::to_json() const {
  nlohmann::json j;
#define VQT_COEF_OUT(name, def, lo, hi, doc) j[#name] = name;
  VQT_MODEL_COEFFICIENTS(VQT_COEF_OUT)
#undef VQT_COEF_OUT
  return j.dump(2);
}

const std::vector<std::string>& ModelCoefficients::retired_coefficients() {
  // Read by no term of the current model (session 10): the generic formula's wave saturation,
  // its register select tree and its Little's-law stream.
  static const std::vector<std::string> names = {
      "reg_select_ops_per_level", "stream_bytes_in_flight_per_warp", "wave_saturation"};
  return names;
}

ModelCoefficients ModelCoefficients::from_json(const std::string& text) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(std::string("model coefficients: not valid JSON: ") + e.what());
  }
  if (!j.is_object()) throw InputError("model coefficients: expected a JSON object");
  ModelCoefficients c;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& key = it.key();
    if (!it->is_number()) throw InputError("model coefficients: '" + key + "' must be a number");
    bool known = false;
#define VQT_COEF_IN(name, def, lo, hi, doc) \
  if (key == #name) {                       \
    c.name = it->get<double>();             \
    known = true;                           \
  }
    VQT_MODEL_COEFFICIENTS(VQT_COEF_IN)
#undef VQT_COEF_IN
    if (!known) {
      const auto& retired = retired_coefficients();
      if (std::find(retired.begin(), retired.end(), key) != retired.end()) continue;
      throw InputError("model coefficients: unknown field '" + key + "'");
    }
  }
  c.validate();
  return c;
}

void ModelCoefficients::save(const std::string& path) const {
  std::ofstream os(path);
  if (!os) throw Error("cannot write model coefficients to " + path);
  os << to_json() << "\n";
  if (!os) throw Error("writing model coefficients to " + path + " failed");
}

ModelCoefficients ModelCoefficients::load(const std::string& path) {
  std::ifstream is(path);
  if (!is) throw InputError("cannot read model coefficients from " + path);
  std::stringstream ss;
  ss << is.rdbuf();
  return from_json(ss.str());
}

}  // namespace vqt
