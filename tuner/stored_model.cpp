#include "tuner/stored_model.hpp"

#include "tuner/ceilings_store.hpp"
#include "vq/error.hpp"

namespace vqt::tuner {

StoredModel load_stored_model(db::Repository& repo, const std::string& gpu_key,
                              const GpuSpec& datasheet) {
  StoredModel m;
  const auto measured = load_ceilings(repo, gpu_key);
  for (const auto& c : measured) m.measured_ceilings |= model_ceiling_of(c.name).has_value();
  m.spec = effective(datasheet, to_model_ceilings(measured, "vqtune measure (database)"));
  if (const auto json = repo.load_coefficients(gpu_key)) {
    try {
      m.coef = ModelCoefficients::from_json(*json);
    } catch (const InputError& e) {
      throw InputError("stored coefficients of " + gpu_key + ": " + e.what());
    }
    m.fitted_coefficients = true;
    m.model_version = "fitted";
  }
  return m;
}

}  // namespace vqt::tuner
