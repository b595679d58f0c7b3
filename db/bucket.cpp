#include "db/bucket.hpp"

namespace vqt::db {

std::string bucket_key(Op op, const ShapeBucket& b) {
  auto s = [](std::int64_t x) { return std::to_string(x); };
  if (is_matmul(op)) return "m" + s(b.dims[0]) + ":n" + s(b.dims[1]) + ":k" + s(b.dims[2]);
  return "b" + s(b.dims[0]) + ":hq" + s(b.dims[1]) + ":hkv" + s(b.dims[2]) + ":d" + s(b.dims[3]) +
         ":ctx" + s(b.dims[4]);
}

}  // namespace vqt::db
