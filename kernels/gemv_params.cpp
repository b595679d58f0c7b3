#include "kernels/gemv_params.hpp"

#include <sstream>

namespace vqt {

std::string GemvParams::key() const {
  std::ostringstream os;
  os << "reg=" << n_reg << ",smem=" << n_smem << ",copies=" << smem_copies
     << ",bypass=" << (l1_bypass ? 1 : 0) << ",split_k=" << split_k << ",warps=" << warps
     << ",bps=" << blocks_per_sm;
  return os.str();
}

CodebookTier tier_of(const GemvParams& p) {
  if (p.n_reg > 0) return CodebookTier::reg_smem;
  if (p.n_smem > 0) return CodebookTier::smem;
  return CodebookTier::global_only;
}

const char* to_string(CodebookTier t) {
  switch (t) {
    case CodebookTier::global_only:
      return "global";
    case CodebookTier::smem:
      return "smem";
    case CodebookTier::reg_smem:
      return "reg_smem";
  }
  return "?";
}

}  // namespace vqt
