#include "cli/common.hpp"
#include "vq/error.hpp"

namespace vqt::cli {

int cmd_predict(const Args&) {
  return guarded("predict", []() -> int { throw Error("not built yet (issue 2 in progress)"); });
}

}  // namespace vqt::cli
