#include "cli/common.hpp"
#include "vq/error.hpp"

namespace vqt::cli {

int cmd_gpus(const Args&) {
  return guarded("gpus", []() -> int { throw Error("not built yet (issue 2 in progress)"); });
}

}  // namespace vqt::cli
