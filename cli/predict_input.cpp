#include "cli/predict_input.hpp"

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/predict_db.hpp"

#include "vq/error.hpp"
#include "vq/safetensors.hpp"

namespace vqt::cli {

namespace {

constexpr std::int64_t kMaxDim = std::int64_t{1} << 24;  // as Problem::validate()

bool all_digits(const std::string& s) {
  if (s.empty() || s.size() > 18) return false;
  for (char ch : s)
    if (!std::isdigit(static_cast<unsigned char>(ch))) return false;
  return true;
}

// The index histogram of a VQ file whose header read_vq_info() has checked: a stored
// weight.histogram is the only tensor read (its dtype and shape are checked by the header); without
// one the codes are counted (vq/ reads the tensor for that).
IndexHistogram file_histogram(const std::string& path, const VqConfig& vq, bool has_histogram) {
  if (!has_histogram) return histogram_from_vq_file(path);
  const SafetensorsFile f = read_safetensors(path);
  const std::string name = "weight.histogram";
  const bool is_signed = f.at(name).dtype == "I64";
  const std::string bytes = f.read(name);
  IndexHistogram h;
  h.levels = vq.residuals;
  h.entries = vq.stored_entries();
  h.source = "file:" + path;
  h.counts.assign(std::size_t(h.levels), std::vector<std::uint64_t>(std::size_t(h.entries)));
  if (bytes.size() != std::size_t(h.levels) * std::size_t(h.entries) * 8)
    throw InputError(path + ": tensor '" + name + "' has " + std::to_string(bytes.size()) +
                     " bytes, not levels x entries x 8");
  const char* p = bytes.data();
  for (auto& level : h.counts) {
    std::memcpy(level.data(), p, level.size() * 8);
    p += level.size() * 8;
    if (is_signed)
      for (auto x : level)
        if (std::int64_t(x) < 0)
          throw InputError(path + ": tensor '" + name + "' has negative counts");
  }
  return h;
}

// --db: measured ceilings replace datasheet figures, fitted coefficients replace the built-in
// ones unless --coefficients named a file. Missing rows are said on stderr, not errors.
void apply_db(PredictRequest& req, const std::string& path, bool coefficients_given) {
  const PredictDbFigures f = load_predict_db(path, req.gpu.key);
  req.db_path = path;
  std::string classes;
  for (const auto& c : f.gpu_classes) classes += (classes.empty() ? "" : ", ") + c;
  if (classes.empty()) classes = "none";
  if (f.model_ceilings == 0) {
    std::cerr << "vqtune predict: --db " << path << " has no measured ceilings for " << req.gpu.key
              << " (" << f.ceiling_rows
              << " rows of other ceilings; GPU classes in the file: " << classes
              << "); using the datasheet figures\n";
  } else {
    try {
      req.gpu = effective(req.gpu, f.ceilings);
    } catch (const InputError& e) {
      throw InputError("--db: " + path + ": " + e.what());
    }
    req.ceilings_source = f.ceilings.source;
  }
  if (f.coefficients) {
    if (coefficients_given) {
      req.coef_source += " (overrides the fitted coefficients in --db)";
    } else {
      req.coef = *f.coefficients;
      req.coef_source = "database " + path + " (latest fit for " + req.gpu.key + ")";
    }
  } else if (!coefficients_given) {
    std::cerr << "vqtune predict: --db " << path << " has no fitted coefficients for "
              << req.gpu.key << "; using the built-in defaults\n";
  }
}

}  // namespace

std::int64_t parse_count(const std::string& text, const std::string& flag, std::int64_t lo,
                         std::int64_t hi) {
  if (!all_digits(text))
    throw InputError(flag + ": '" + text + "' is not a positive integer (accepted: " +
                     std::to_string(lo) + ".." + std::to_string(hi) + ")");
  const std::int64_t v = std::stoll(text);
  if (v < lo || v > hi)
    throw InputError(flag + ": " + text + " is outside " + std::to_string(lo) + ".." +
                     std::to_string(hi));
  return v;
}

std::pair<std::int64_t, std::int64_t> parse_shape(const std::string& text,
                                                  const std::string& flag) {
  const auto x = text.find('x');
  if (x == std::string::npos || !all_digits(text.substr(0, x)) || !all_digits(text.substr(x + 1)))
    throw InputError(flag + ": '" + text + "' is not NxK (two positive integers, e.g. 11008x4096)");
  const std::int64_t n = std::stoll(text.substr(0, x)), k = std::stoll(text.substr(x + 1));
  if (n < 1 || k < 1 || n > kMaxDim || k > kMaxDim)
    throw InputError(flag + ": " + text + " is out of range; N and K must be 1.." +
                     std::to_string(kMaxDim));
  return {n, k};
}

std::pair<std::int64_t, std::int64_t> parse_heads(const std::string& text,
                                                  const std::string& flag) {
  const auto s = text.find('/');
  if (s == std::string::npos || !all_digits(text.substr(0, s)) || !all_digits(text.substr(s + 1)))
    throw InputError(flag + ": '" + text + "' is not Q/KV (query heads / KV heads, e.g. 32/8)");
  const std::int64_t q = std::stoll(text.substr(0, s)), kv = std::stoll(text.substr(s + 1));
  if (q < 1 || kv < 1 || q > 1024 || kv > 1024 || q % kv != 0)
    throw InputError(flag + ": " + text +
                     " needs 1..1024 heads each and query heads a multiple of KV heads");
  return {q, kv};
}

std::string default_cache_dir() {
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/vqtune";
  return ".cache/vqtune";
}

Args join_negative_values(const Args& args) {
  Args out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("--", 0) == 0 && a.find('=') == std::string::npos && i + 1 < args.size() &&
        args[i + 1].size() > 1 && args[i + 1][0] == '-' &&
        (std::isdigit(static_cast<unsigned char>(args[i + 1][1])) || args[i + 1][1] == '.')) {
      out.push_back(a + "=" + args[i + 1]);
      ++i;
    } else {
      out.push_back(a);
    }
  }
  return out;
}

void add_predict_flags(po::options_description& desc) {
  desc.add_options()("gpu", po::value<std::string>(), "GPU key (vqtune gpus), e.g. h100-sxm")(
      "vq", po::value<std::string>(), "VQ preset (vqtune presets) or vq:v,b,r[:tile=RxC|:group=G]")(
      "op", po::value<std::string>()->default_value("gemv"), "gemv | gemm | attention_decode")(
      "shape", po::value<std::string>(), "NxK weight shape (gemv / gemm), e.g. 11008x4096")(
      "batch", po::value<std::string>(), "gemv batch 1..16 / attention batch (default 1)")(
      "tokens", po::value<std::string>(), "gemm tokens M (default 2048)")(
      "context", po::value<std::string>(), "attention: cached tokens")(
      "heads", po::value<std::string>(), "attention: Q/KV heads, e.g. 32/8")(
      "head-dim", po::value<std::string>(), "attention: channels per head (default 128)")(
      "model", po::value<std::string>(),
      "llama-7b | llama-65b | llama-3-8b | llama-3-70b: "
      "expand to its linear layers or attention")(
      "top", po::value<std::string>()->default_value("10"), "candidates to print (1..1000)")(
      "vq-file", po::value<std::string>(), "VQ safetensors file whose index histogram to use")(
      "cache-dir", po::value<std::string>(),
      "cache for synthetic histograms (default $XDG_CACHE_HOME/vqtune or .cache/vqtune)")(
      "coefficients", po::value<std::string>(),
      "model coefficients JSON (default: built in, or the database's with --db)")(
      "db", po::value<std::string>(),
      "vqtune database: use this GPU class's measured ceilings and fitted coefficients (read "
      "only)");
}

PredictRequest make_request(const po::variables_map& vm) {
  PredictRequest req;
  auto str = [&](const char* name) { return vm[name].as<std::string>(); };
  auto has = [&](const char* name) { return vm.count(name) > 0 && !vm[name].defaulted(); };
  req.format = chosen_format(vm);
  if (!has("gpu")) throw InputError("--gpu is required; accepted: " + gpu_keys());
  req.gpu = find_gpu(str("gpu"), "--gpu");
  req.op = parse_op(str("op"), "--op");
  if (req.op != Op::gemv && req.op != Op::gemm && req.op != Op::attention_decode)
    throw InputError("--op: " + std::string(to_string(req.op)) +
                     " is not modelled by predict yet; accepted: gemv, gemm, attention_decode");
  req.top = int(parse_count(str("top"), "--top", 1, 1000));
  if (has("coefficients")) {
    try {
      req.coef = ModelCoefficients::load(str("coefficients"));
    } catch (const std::exception& e) {
      throw InputError(std::string("--coefficients: ") + e.what());
    }
    req.coef_source = "file " + str("coefficients");
  }
  if (has("db")) apply_db(req, str("db"), has("coefficients"));
  req.cache_dir = has("cache-dir") ? str("cache-dir") : default_cache_dir();

  std::optional<VqConfig> file_vq;
  bool has_histogram = false;
  if (has("vq-file")) {
    req.vq_file = str("vq-file");
    std::ifstream probe(req.vq_file, std::ios::binary);
    if (!probe) throw InputError("--vq-file: cannot read '" + req.vq_file + "'");
    // The header alone gives the config (and checks the container against the file's size).
    try {
      const VqFileInfo info = read_vq_info(req.vq_file);
      file_vq = info.config;
      has_histogram = info.has_histogram;
    } catch (const std::exception& e) {
      throw InputError(std::string("--vq-file: ") + e.what());
    }
  }
  if (has("vq")) {
    req.vq = parse_vq(str("vq"), "--vq");
  } else if (file_vq) {
    req.vq = *file_vq;
  } else {
    throw InputError(
        "--vq is required (or --vq-file); accepted: a preset (vqtune presets) or "
        "vq:v,b,r");
  }
  if (file_vq) {
    if (file_vq->stored_entries() != req.vq.stored_entries())
      throw InputError("--vq-file: its codebooks have " +
                       std::to_string(file_vq->stored_entries()) + " entries but " +
                       req.vq.describe() + " stores " + std::to_string(req.vq.stored_entries()));
    // Read once for every problem; the codes are only read when the file stores no histogram.
    try {
      req.file_hist = file_histogram(req.vq_file, *file_vq, has_histogram);
    } catch (const std::exception& e) {
      throw InputError(std::string("--vq-file: ") + e.what());
    }
  }

  const bool attention = req.op == Op::attention_decode;
  if (!attention && req.vq.scope == Scope::per_head_group)
    throw InputError("--vq: " + req.vq.describe() +
                     " is a KV-cache format (per head x channel group); use it with --op "
                     "attention_decode");
  if (has("model")) {
    if (has("shape")) throw InputError("--shape and --model exclude each other");
    if (has("heads") || has("head-dim"))
      throw InputError("--heads and --head-dim come from --model; give one or the other");
    req.model = find_model_shape(str("model"), "--model");
  } else if (!attention && !has("shape")) {
    throw InputError("--shape NxK is required for --op " + std::string(to_string(req.op)) +
                     " (or --model)");
  }
  if (attention && has("shape")) throw InputError("--shape is for gemv / gemm, not attention");
  if (!attention && (has("context") || has("heads") || has("head-dim")))
    throw InputError("--context, --heads and --head-dim are for --op attention_decode");
  if (req.op != Op::gemm && has("tokens")) throw InputError("--tokens is for --op gemm");
  if (req.op == Op::gemm && has("batch"))
    throw InputError("--batch is for gemv / attention; gemm takes --tokens");

  std::int64_t m = 1;
  if (req.op == Op::gemv) m = has("batch") ? parse_count(str("batch"), "--batch", 1, 16) : 1;
  if (req.op == Op::gemm)
    m = has("tokens") ? parse_count(str("tokens"), "--tokens", 1, kMaxDim) : 2048;
  if (attention) m = has("batch") ? parse_count(str("batch"), "--batch", 1, 4096) : 1;
  std::int64_t context = 0;
  if (attention) {
    if (!has("context")) throw InputError("--context is required for --op attention_decode");
    context = parse_count(str("context"), "--context", 1, kMaxDim);
  }

  if (req.model) {
    try {
      req.problems = expand_model(*req.model, req.op, req.vq, m, context);
    } catch (const InputError& e) {
      const std::string w = e.what();
      throw InputError(w.rfind("--", 0) == 0 ? w : "--model: " + w);
    }
    return req;
  }
  LayerProblem lp;
  lp.problem.op = req.op;
  lp.problem.vq = req.vq;
  if (attention) {
    if (!has("heads")) throw InputError("--heads Q/KV is required for --op attention_decode");
    const auto [q, kv] = parse_heads(str("heads"), "--heads");
    lp.problem.batch = m;
    lp.problem.q_heads = q;
    lp.problem.kv_heads = kv;
    lp.problem.head_dim =
        has("head-dim") ? parse_count(str("head-dim"), "--head-dim", 1, 1024) : 128;
    lp.problem.context = context;
    try {
      lp.problem.validate();
    } catch (const InputError& e) {
      throw InputError(std::string(has("head-dim") ? "--head-dim: " : "--vq: ") + e.what());
    }
  } else {
    const auto [n, k] = parse_shape(str("shape"), "--shape");
    lp.problem.m = m;
    lp.problem.n = n;
    lp.problem.k = k;
    try {
      lp.problem.validate();
    } catch (const InputError& e) {
      throw InputError("--shape " + str("shape") + ": " + e.what());
    }
  }
  req.problems.push_back(lp);
  return req;
}

HistogramInfo histogram_for(const PredictRequest& req, const Problem& problem) {
  IndexHistogram h;
  if (req.file_hist) {
    h = *req.file_hist;
    if (h.entries != problem.vq.stored_entries())
      throw InputError("--vq-file: its histogram has " + std::to_string(h.entries) +
                       " entries per codebook but " + problem.vq.describe() + " stores " +
                       std::to_string(problem.vq.stored_entries()));
  } else {
    std::int64_t rows = problem.n, cols = problem.k;
    if (problem.op == Op::attention_decode) {
      rows = std::min<std::int64_t>(problem.context, 4096);
      cols = problem.head_dim;
    }
    h = synthetic_histogram(problem.vq, rows, cols, /*seed=*/1, req.cache_dir);
  }
  HistogramInfo info;
  info.cdf = h.sorted_cdf();
  info.source = h.source;
  for (int l = 0; l < h.levels; ++l) info.entropy_bits += h.entropy_bits(l) / h.levels;
  info.top256_mass = h.top_mass(256);
  return info;
}

}  // namespace vqt::cli
