#include "tuner/ceilings_store.hpp"

#include <cmath>
#include <map>

namespace vqt::tuner {

std::optional<vqt::Ceiling> model_ceiling_of(const std::string& n) {
  if (n == "hbm_read") return vqt::Ceiling::hbm_bw;
  if (n == "l2_read") return vqt::Ceiling::l2_bw;
  if (n == "smem_read") return vqt::Ceiling::smem_bw;
  if (n == "fp16_tensor") return vqt::Ceiling::fp16_tensor;
  if (n == "fp32_fma") return vqt::Ceiling::fp32;
  if (n == "pcie_h2d") return vqt::Ceiling::host_link;
  if (n == "empty_kernel") return vqt::Ceiling::launch;
  return std::nullopt;
}

vqt::Ceilings to_model_ceilings(const std::vector<MeasuredCeiling>& measured,
                                const std::string& source) {
  vqt::Ceilings c;
  c.source = source;
  for (const auto& m : measured)
    if (const auto which = model_ceiling_of(m.name)) c.set(*which, m.value);
  return c;
}

std::string detect_spec_key(int cc_major, int cc_minor, int sm_count, std::int64_t memory_bytes) {
  std::string best;
  double best_err = 0.15;
  for (const auto& s : vqt::gpu_specs()) {
    if (s.cc_major != cc_major || s.cc_minor != cc_minor || s.sm_count != sm_count) continue;
    if (s.memory_bytes <= 0) continue;
    const double err =
        std::fabs(double(memory_bytes) - double(s.memory_bytes)) / double(s.memory_bytes);
    if (err <= best_err) {
      best_err = err;
      best = s.key;
    }
  }
  return best;
}

std::int64_t store_ceilings(db::Repository& repo, const db::GpuRecord& gpu,
                            const std::vector<MeasuredCeiling>& measured, const std::string& args) {
  auto tx = repo.transaction();
  const std::int64_t gpu_id = repo.upsert_gpu(gpu);
  db::RunInfo run = db::Repository::this_process_run("measure", args);
  const std::int64_t run_id = repo.begin_run(run);
  for (const auto& m : measured) {
    db::Ceiling c;
    c.name = m.name;
    c.value = m.value;
    c.unit = m.unit;
    c.rel_spread = m.rel_stdev;
    c.count = m.count;
    repo.record_ceiling(gpu_id, run_id, c);
  }
  repo.finish_run(run_id);
  tx.commit();
  return run_id;
}

std::vector<MeasuredCeiling> load_ceilings(db::Repository& repo, const std::string& gpu_key) {
  std::map<std::string, MeasuredCeiling> latest;
  std::vector<std::string> order;
  for (const db::Ceiling& c : repo.ceilings(gpu_key)) {  // oldest first: the latest wins
    if (!latest.count(c.name)) order.push_back(c.name);
    latest[c.name] = MeasuredCeiling{c.name, c.value, c.unit, c.rel_spread, c.count};
  }
  std::vector<MeasuredCeiling> out;
  for (const auto& n : order) out.push_back(latest[n]);
  return out;
}

}  // namespace vqt::tuner
