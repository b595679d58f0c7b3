// The table `vqtune tune` prints on stdout, one row per problem as it is tuned. The problem column
// is as wide as the longest key of the run (decode-attention keys run past 70 characters, GEMV
// keys to about 45), so the columns after it line up for every op.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace vqt::cli {

class TuneTable {
 public:
  explicit TuneTable(const std::vector<std::string>& problem_keys);

  std::string header() const;
  // best_us and top1_ratio are preformatted ("-" when there is none); no trailing newline.
  std::string row(const std::string& problem_key, std::size_t timed, std::size_t runnable,
                  std::size_t resumed, const std::string& best_us, const std::string& top1_ratio,
                  const std::string& winner) const;

  std::size_t key_width() const { return key_width_; }

 private:
  std::size_t key_width_;
};

}  // namespace vqt::cli
