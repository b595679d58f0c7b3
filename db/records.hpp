// Plain rows the repository reads and writes. Units are in the names (seconds: `_s`).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "model/candidate.hpp"
#include "model/problem.hpp"

namespace vqt::db {

// One physical GPU, identified by its UUID. Heuristics are kept per GPU *class*, gpu_key(): the
// spec key (e.g. "h100-sxm") when known, else the device name, so shards tuned on several devices
// of one model merge into one table.
struct GpuRecord {
  std::string uuid;  // "GPU-8f3c..." as nvidia-smi prints it
  std::string name;  // "NVIDIA H100 80GB HBM3"
  int cc_major = 0;
  int cc_minor = 0;
  std::string driver;        // "550.54.15"
  std::string cuda_version;  // "12.4"
  std::string spec_key;      // optional model/gpu_spec.hpp key
  std::string gpu_key() const { return spec_key.empty() ? name : spec_key; }
};

// Who ran what, where and with which build. kind: "tune", "measure", "import", or "demo" (the
// synthetic fixture, always labelled so it never passes for real results).
struct RunInfo {
  std::string uuid;  // filled by begin_run when empty
  std::string kind = "tune";
  std::string who;
  std::string host;
  std::string started_at;  // ISO 8601 UTC; filled by begin_run when empty
  std::optional<std::string> finished_at;
  std::string args;
  std::string vqtune_version;
  std::string build_commit;
  std::string note;
};

enum class Status { ok, launch_failed, resource_limit, validation_failed, compile_failed, timeout };
enum class Timer { cupti, cuda_event };
const char* to_string(Status s);
const char* to_string(Timer t);
Status parse_status(const std::string& s);
Timer parse_timer(const std::string& s);

struct Measurement {
  std::string uid;  // natural key across files; filled by insert_measurement when empty
  Status status = Status::ok;
  Timer timer = Timer::cupti;
  std::optional<double> median_s, min_s, max_s, rel_stdev;  // absent for failed candidates
  std::int64_t count = 0;
  std::optional<std::string> counters_json;
  std::string measured_at;  // filled when empty
};

struct Prediction {
  std::string model_version;
  double predicted_s = 0;
  std::string bound;       // hbm, l2, smem, compute, launch, pcie
  std::string bytes_json;  // bytes per memory level, e.g. {"hbm":1.2e8,"l2":...}
};

struct Ceiling {
  std::string uid;   // filled when empty
  std::string name;  // profiler/ceilings.hpp names: "hbm_read", "l2_read", "fp16_tensor", ...
  double value = 0;
  std::string unit;  // "bytes/s", "flop/s", "s"
  double rel_spread = 0;
  std::int64_t count = 0;
  std::string measured_at;  // filled when empty
};

enum class Source { measured, model, merged };
const char* to_string(Source s);
Source parse_source(const std::string& s);

// One heuristics row with everything needed to reproduce the choice (what export writes).
struct HeuristicRow {
  std::string gpu_key, op, vq_key, bucket;
  std::int64_t dims[5] = {0, 0, 0, 0, 0};
  std::string candidate_key;
  Candidate candidate;
  Problem problem;  // the representative problem the evidence was measured on
  std::string problem_key;
  std::optional<double> measured_s, rel_stdev, predicted_s;
  std::optional<std::int64_t> count;
  std::optional<std::string> model_version;
  Source source = Source::measured;
  std::int64_t n_problems = 0, n_devices = 0;
  // Identity of the representative measurement (absent for source == model).
  std::optional<std::string> measurement_uid, gpu_uuid, gpu_name, driver, cuda_version, timer;
  std::optional<int> cc_major, cc_minor;
  std::optional<std::string> run_uuid, run_kind, build_commit, vqtune_version, measured_at;
};

}  // namespace vqt::db
