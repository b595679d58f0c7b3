#include "model/problem.hpp"

#include <sstream>

#include "vq/error.hpp"

namespace vqt {

const char* to_string(Op op) {
  switch (op) {
    case Op::gemv:
      return "gemv";
    case Op::gemm:
      return "gemm";
    case Op::attention_decode:
      return "attention_decode";
    case Op::offload_decode:
      return "offload_decode";
    case Op::offload_prefill:
      return "offload_prefill";
  }
  return "?";
}

Op parse_op(const std::string& text, const std::string& flag) {
  for (Op op : {Op::gemv, Op::gemm, Op::attention_decode, Op::offload_decode, Op::offload_prefill})
    if (text == to_string(op)) return op;
  if (text == "attention") return Op::attention_decode;
  throw InputError(flag + ": unknown op '" + text +
                   "'; accepted: gemv, gemm, attention_decode (or attention), offload_decode, "
                   "offload_prefill");
}

namespace {
// Sizes above this are absurd for one operation of an LLM (2^24 features, tokens or context).
constexpr std::int64_t kMaxDim = std::int64_t{1} << 24;

void check_dim(const char* what, std::int64_t x, std::int64_t lo = 1, std::int64_t hi = kMaxDim) {
  if (x < lo || x > hi)
    throw InputError(std::string(what) + "=" + std::to_string(x) + " is out of range " +
                     std::to_string(lo) + ".." + std::to_string(hi));
}
}  // namespace

Problem Problem::matmul(Op op, const VqConfig& vq, std::int64_t m, std::int64_t n, std::int64_t k) {
  Problem p;
  p.op = op;
  p.vq = vq;
  p.m = m;
  p.n = n;
  p.k = k;
  return p;
}

Problem Problem::attention(const VqConfig& vq, std::int64_t batch, std::int64_t q_heads,
                           std::int64_t kv_heads, std::int64_t head_dim, std::int64_t context) {
  Problem p;
  p.op = Op::attention_decode;
  p.vq = vq;
  p.batch = batch;
  p.q_heads = q_heads;
  p.kv_heads = kv_heads;
  p.head_dim = head_dim;
  p.context = context;
  return p;
}

void Problem::validate() const {
  vq.validate();
  switch (op) {
    case Op::gemv:
    case Op::gemm: {
      check_dim("batch/tokens (m)", m, 1, op == Op::gemv ? 16 : kMaxDim);
      check_dim("rows (n)", n);
      check_dim("columns (k)", k);
      if (k % vq.vec_size != 0)
        throw InputError("columns (k)=" + std::to_string(k) +
                         " is not a multiple of the vector size v=" + std::to_string(vq.vec_size) +
                         " of " + vq.describe());
      if (vq.scope == Scope::per_tile && (n % vq.tile_rows != 0 || k % vq.tile_cols != 0))
        throw InputError("shape " + std::to_string(n) + "x" + std::to_string(k) +
                         " is not a multiple of the codebook tile " + std::to_string(vq.tile_rows) +
                         "x" + std::to_string(vq.tile_cols));
      if (vq.scope == Scope::per_head_group)
        throw InputError(vq.describe() +
                         " is a KV-cache format (per head x channel group); use it with "
                         "attention_decode");
      break;
    }
    case Op::attention_decode:
    case Op::offload_decode:
    case Op::offload_prefill: {
      check_dim("batch", batch, 1, 4096);
      check_dim("q_heads", q_heads, 1, 1024);
      check_dim("kv_heads", kv_heads, 1, 1024);
      check_dim("head_dim", head_dim, 1, 1024);
      check_dim("context", context);
      if (q_heads % kv_heads != 0)
        throw InputError("q_heads=" + std::to_string(q_heads) +
                         " is not a multiple of kv_heads=" + std::to_string(kv_heads));
      if (head_dim % vq.vec_size != 0)
        throw InputError("head_dim=" + std::to_string(head_dim) +
                         " is not a multiple of v=" + std::to_string(vq.vec_size));
      if (vq.scope == Scope::per_head_group && head_dim % vq.channel_group != 0)
        throw InputError("head_dim=" + std::to_string(head_dim) +
                         " is not a multiple of the channel group " +
                         std::to_string(vq.channel_group));
      break;
    }
  }
}

std::string Problem::key() const {
  std::ostringstream os;
  os << to_string(op) << ":";
  if (op == Op::gemv || op == Op::gemm)
    os << "m" << m << ":n" << n << ":k" << k;
  else
    os << "b" << batch << ":hq" << q_heads << ":hkv" << kv_heads << ":d" << head_dim << ":ctx"
       << context;
  os << ":" << vq.key();
  return os.str();
}

std::string Problem::describe() const {
  std::ostringstream os;
  if (op == Op::gemv || op == Op::gemm)
    os << to_string(op) << " " << n << "x" << k << (op == Op::gemv ? " batch " : " tokens ") << m;
  else
    os << to_string(op) << " batch " << batch << ", " << q_heads << "/" << kv_heads << " heads x "
       << head_dim << ", context " << context;
  return os.str();
}

}  // namespace vqt
