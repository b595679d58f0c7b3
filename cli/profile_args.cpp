#include "cli/profile_args.hpp"

#include <algorithm>
#include <initializer_list>
#include <tuple>

#include "cli/predict_input.hpp"
#include "model/model_shapes.hpp"
#include "vq/error.hpp"

namespace vqt::cli {

namespace {

constexpr int kMaxGemvBatch = 16;            // kernels/gemv_params.hpp kGemvMaxBatch
constexpr std::int64_t kMinGemmTokens = 32;  // the GEMM is prefill (tuner/op_suite.cpp)
constexpr std::int64_t kMaxAttentionBatch = 4096;

bool given(const po::variables_map& vm, const char* name) {
  return vm.count(name) > 0 && !vm[name].defaulted();
}

// Flags that belong to other ops: refused, naming the first one given.
void refuse_flags(const po::variables_map& vm, std::initializer_list<const char*> names,
                  const std::string& why) {
  for (const char* n : names)
    if (given(vm, n)) throw InputError(std::string("--") + n + " " + why);
}

void require_vq(const po::variables_map& vm) {
  if (!vm.count("vq")) throw InputError("--vq is required (a preset, e.g. aqlm-3, or vq:v,b,r)");
}

// The checks and their order are the ones of the GEMV-only verb, so its messages are unchanged.
Problem gemv_problem(const po::variables_map& vm) {
  require_vq(vm);
  if (!vm.count("n") || !vm.count("k")) throw InputError("--n and --k are required");
  const std::int64_t batch = vm["batch"].as<std::int64_t>();
  if (batch < 1 || batch > kMaxGemvBatch)
    throw InputError("--batch: " + std::to_string(batch) + " is out of range (accepted: 1..16)");
  refuse_flags(vm, {"tokens", "kv", "context", "model", "heads", "head-dim"},
               "is not a gemv flag (gemm: --tokens; attention: --kv, --context, --model / "
               "--heads, --head-dim)");
  return Problem::matmul(Op::gemv, parse_vq(vm["vq"].as<std::string>()), batch,
                         vm["n"].as<std::int64_t>(), vm["k"].as<std::int64_t>());
}

Problem gemm_problem(const po::variables_map& vm) {
  require_vq(vm);
  const VqConfig vq = parse_vq(vm["vq"].as<std::string>());
  if (vq.scope == Scope::per_head_group)
    throw InputError("--vq: " + vm["vq"].as<std::string>() +
                     " is a KV-cache format (per head x channel group); give it to --kv for "
                     "--op attention");
  if (!vm.count("n") || !vm.count("k")) throw InputError("--n and --k are required");
  if (!vm.count("tokens"))
    throw InputError("--tokens is required for --op gemm (prefill tokens, >= 32)");
  refuse_flags(vm, {"batch"}, "is for gemv / attention; gemm takes --tokens");
  refuse_flags(vm, {"kv", "context", "model", "heads", "head-dim"},
               "is for --op attention, not gemm");
  const std::int64_t tokens = vm["tokens"].as<std::int64_t>();
  if (tokens < kMinGemmTokens)
    throw InputError("--tokens: " + std::to_string(tokens) +
                     " is under 32 (the GEMM is prefill; decode batches are --op gemv)");
  return Problem::matmul(Op::gemm, vq, tokens, vm["n"].as<std::int64_t>(),
                         vm["k"].as<std::int64_t>());
}

Problem attention_problem(const po::variables_map& vm) {
  refuse_flags(vm, {"vq", "n", "k", "tokens"},
               "is for gemv / gemm; attention takes --kv, --context and --model or --heads");
  if (!vm.count("kv")) throw InputError("--kv is required for --op attention (cq-4 or cq-2)");
  const std::string kv_name = vm["kv"].as<std::string>();
  const VqConfig kv = parse_vq(kv_name, "--kv");
  if (kv.scope != Scope::per_head_group)
    throw InputError("--kv: " + kv_name +
                     " is a weight format; attention takes KV-cache presets (cq-4, cq-2)");
  if (!vm.count("context")) throw InputError("--context is required for --op attention");
  const std::int64_t context = vm["context"].as<std::int64_t>();
  if (context < 1) throw InputError("--context: " + std::to_string(context) + " is below 1");
  const std::int64_t batch = vm["batch"].as<std::int64_t>();
  if (batch < 1 || batch > kMaxAttentionBatch)
    throw InputError("--batch: " + std::to_string(batch) + " is out of range (accepted: 1..4096)");
  std::int64_t q_heads = 0, kv_heads = 0, head_dim = 128;
  if (vm.count("model")) {
    if (vm.count("heads") || vm.count("head-dim"))
      throw InputError("--heads and --head-dim come from --model; give one or the other");
    const ModelShape& m = find_model_shape(vm["model"].as<std::string>(), "--model");
    q_heads = m.q_heads;
    kv_heads = m.kv_heads;
    head_dim = m.head_dim;
  } else {
    if (!vm.count("heads"))
      throw InputError("--model or --heads Q/KV is required for --op attention (the heads)");
    std::tie(q_heads, kv_heads) = parse_heads(vm["heads"].as<std::string>(), "--heads");
    if (vm.count("head-dim")) head_dim = vm["head-dim"].as<std::int64_t>();
    if (head_dim < 1) throw InputError("--head-dim: " + std::to_string(head_dim) + " is below 1");
  }
  return Problem::attention(kv, batch, q_heads, kv_heads, head_dim, context);
}

}  // namespace

std::vector<std::string> parse_metric_list(const std::string& list, const std::string& flag) {
  constexpr std::size_t kMaxMetrics = 64;
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= list.size()) {
    const std::size_t comma = std::min(list.find(',', pos), list.size());
    std::string name = list.substr(pos, comma - pos);
    const auto first = name.find_first_not_of(" \t"), last = name.find_last_not_of(" \t");
    name = first == std::string::npos ? "" : name.substr(first, last - first + 1);
    pos = comma + 1;
    if (name.empty()) continue;
    const bool chars_ok = std::all_of(name.begin(), name.end(), [](char ch) {
      return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '.';
    });
    if (!chars_ok || name.find("__") == std::string::npos || name.front() == '.' ||
        name.back() == '.')
      throw InputError(flag + ": '" + name +
                       "' is not a metric name (Nsight Compute names, e.g. "
                       "l1tex__t_requests_pipe_lsu_mem_global_op_ld.sum)");
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  }
  if (out.empty()) throw InputError(flag + ": no metric names given");
  if (out.size() > kMaxMetrics)
    throw InputError(flag + ": " + std::to_string(out.size()) + " metrics, at most " +
                     std::to_string(kMaxMetrics));
  return out;
}

po::options_description profile_flags() {
  po::options_description desc(
      "vqtune profile: one GEMV, GEMM or decode-attention candidate on this GPU, the model's bytes "
      "per level next to the hardware counters");
  desc.add_options()("help,h", "this help")("op", po::value<std::string>()->default_value("gemv"),
                                            "gemv | gemm | attention")(
      "vq", po::value<std::string>(), "gemv, gemm: VQ preset or vq:v,b,r (required)")(
      "n", po::value<std::int64_t>(), "gemv, gemm: output features (required)")(
      "k", po::value<std::int64_t>(), "gemv, gemm: input features (required)")(
      "batch", po::value<std::int64_t>()->default_value(1), "gemv: batch, 1..16; attention: batch")(
      "tokens", po::value<std::int64_t>(), "gemm: prefill tokens, >= 32 (required)")(
      "kv", po::value<std::string>(), "attention: KV-cache preset, cq-4 | cq-2 (required)")(
      "context", po::value<std::int64_t>(), "attention: cached tokens (required)")(
      "model", po::value<std::string>(),
      "attention: the heads of llama-7b | llama-65b | llama-3-8b | llama-3-70b")(
      "heads", po::value<std::string>(), "attention: Q/KV heads, e.g. 32/8 (instead of --model)")(
      "head-dim", po::value<std::int64_t>(), "attention: channels per head with --heads (128)")(
      "candidate", po::value<std::string>(),
      "candidate key (vqtune tune / export print them); default: the model's top-1 that the "
      "kernels implement")(
      "db", po::value<std::string>(),
      "read the stored ceilings and coefficients of this GPU class (read-only)")(
      "replay", po::value<std::string>()->default_value("user"),
      "user (run the launch once per pass, L2 cleaned before each) | kernel (CUPTI replays each "
      "kernel)")("metrics", po::value<std::string>(),
                 "more counters, comma-separated Nsight Compute metric names (ncu "
                 "--query-metrics), e.g. l1tex__t_requests_pipe_lsu_mem_global_op_ld.sum, "
                 "printed as counted")("seed", po::value<std::uint64_t>()->default_value(1),
                                       "seed of the data")(
      "cap-s", po::value<double>()->default_value(1.0), "time cap of the timing, seconds")(
      "device", po::value<int>()->default_value(0), "CUDA device index")(
      "check-metrics", po::bool_switch(),
      "no GPU: check the --metrics names (default: the counters profile reads) against CUPTI's "
      "tables for --chip, then exit (2 if any is unknown)")(
      "chip", po::value<std::string>(),
      "with --check-metrics: the chip as CUPTI names it, e.g. GH100 (H100, H200), GA100 (A100)");
  add_format_flags(desc);
  add_data_sets_flag(desc);
  return desc;
}

Format profile_format(const po::variables_map& vm) {
  const Format f = chosen_format(vm);
  if (f == Format::csv) throw InputError("--csv: not offered by profile (accepted: --json)");
  return f;
}

ProfileArgs parse_profile_args(const po::variables_map& vm) {
  ProfileArgs a;
  const Op op = parse_op(vm["op"].as<std::string>());
  if (op == Op::gemv)
    a.problem = gemv_problem(vm);
  else if (op == Op::gemm)
    a.problem = gemm_problem(vm);
  else if (op == Op::attention_decode)
    a.problem = attention_problem(vm);
  else
    throw InputError("--op: " + std::string(to_string(op)) +
                     " cannot be profiled (accepted: gemv, gemm, attention)");
  a.problem.validate();
  if (vm.count("candidate")) {
    try {
      a.candidate = Candidate::from_key(vm["candidate"].as<std::string>());
    } catch (const InputError& e) {
      throw InputError(std::string("--candidate: ") + e.what());
    }
  }
  a.replay = vm["replay"].as<std::string>();
  if (a.replay != "user" && a.replay != "kernel")
    throw InputError("--replay: '" + a.replay + "' is not a replay mode (accepted: user, kernel)");
  if (vm.count("metrics"))
    a.metrics = parse_metric_list(vm["metrics"].as<std::string>(), "--metrics");
  if (vm.count("db")) a.db = vm["db"].as<std::string>();
  a.seed = vm["seed"].as<std::uint64_t>();
  a.cap_s = vm["cap-s"].as<double>();
  if (!(a.cap_s > 0 && a.cap_s <= 60)) throw InputError("--cap-s must be in (0, 60] seconds");
  a.data_sets = data_sets_flag(vm);
  a.device = vm["device"].as<int>();
  if (a.device < 0) throw InputError("--device must be >= 0");
  a.format = profile_format(vm);
  return a;
}

}  // namespace vqt::cli
