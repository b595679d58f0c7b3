#include "cli/tune_table.hpp"

#include <algorithm>
#include <iomanip>
#include <sstream>

namespace vqt::cli {

namespace {

constexpr std::size_t kGap = 2;  // spaces at least between the key and the next column

std::string format_row(std::size_t key_width, const std::string& key, const std::string& timed,
                       const std::string& runnable, const std::string& resumed,
                       const std::string& best, const std::string& ratio,
                       const std::string& winner) {
  std::ostringstream os;
  // A key longer than the column (not given to the constructor) still keeps the gap.
  os << key << std::string(key.size() + kGap > key_width ? kGap : key_width - key.size(), ' ')
     << std::left << std::setw(8) << timed << std::setw(8) << runnable << std::setw(9) << resumed
     << std::setw(12) << best << std::setw(12) << ratio << winner;
  return os.str();
}

}  // namespace

TuneTable::TuneTable(const std::vector<std::string>& problem_keys) {
  std::size_t longest = std::string("problem").size();
  for (const auto& k : problem_keys) longest = std::max(longest, k.size());
  key_width_ = longest + kGap;
}

std::string TuneTable::header() const {
  return format_row(key_width_, "problem", "timed", "of", "resumed", "best us", "top1/best",
                    "winner");
}

std::string TuneTable::row(const std::string& problem_key, std::size_t timed, std::size_t runnable,
                           std::size_t resumed, const std::string& best_us,
                           const std::string& top1_ratio, const std::string& winner) const {
  return format_row(key_width_, problem_key, std::to_string(timed), std::to_string(runnable),
                    std::to_string(resumed), best_us, top1_ratio, winner);
}

}  // namespace vqt::cli
