#include "tuner/strategy.hpp"

#include <numeric>

#include "vq/error.hpp"

namespace vqt::tuner {

std::uint64_t stable_hash(const std::string& s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char ch : s) {
    h ^= ch;
    h *= 1099511628211ull;
  }
  return h;
}

namespace {

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// Times a fixed list in order; the previous result does not change the plan.
class ListStrategy : public SearchStrategy {
 public:
  ListStrategy(const char* name, std::vector<Candidate> plan)
      : name_(name), plan_(std::move(plan)) {}
  const char* name() const override { return name_; }
  std::optional<Candidate> next_candidate(const TrialResult*) override {
    if (next_ >= plan_.size()) return std::nullopt;
    return plan_[next_++];
  }

 private:
  const char* name_;
  std::vector<Candidate> plan_;
  std::size_t next_ = 0;
};

}  // namespace

std::vector<std::size_t> sample_indices(std::size_t n, std::size_t count, std::uint64_t seed) {
  std::vector<std::size_t> idx(n);
  std::iota(idx.begin(), idx.end(), std::size_t{0});
  std::uint64_t state = seed;
  // Partial Fisher-Yates with our own generator (std distributions differ between libraries).
  const std::size_t take = std::min(count, n);
  for (std::size_t i = 0; i < take; ++i) {
    const std::size_t j = i + std::size_t(splitmix64(state) % (n - i));
    std::swap(idx[i], idx[j]);
  }
  idx.resize(take);
  return idx;
}

const char* strategy_names() {
  return "exhaustive, model-top-k, random";
}

std::unique_ptr<SearchStrategy> make_strategy(const std::string& name,
                                              std::vector<Candidate> ranked,
                                              const StrategyOptions& opt,
                                              const std::string& problem_key) {
  const std::uint64_t seed = opt.seed ^ stable_hash(problem_key);
  if (name == "exhaustive") return std::make_unique<ListStrategy>("exhaustive", std::move(ranked));
  if (name == "model-top-k") {
    if (opt.top_k < 1 || opt.random_extra < 0)
      throw InputError("--top-k must be >= 1 and --random-extra >= 0");
    const std::size_t k = std::min(ranked.size(), std::size_t(opt.top_k));
    std::vector<Candidate> plan(ranked.begin(), ranked.begin() + std::ptrdiff_t(k));
    for (std::size_t i : sample_indices(ranked.size() - k, std::size_t(opt.random_extra), seed))
      plan.push_back(ranked[k + i]);
    return std::make_unique<ListStrategy>("model-top-k", std::move(plan));
  }
  if (name == "random") {
    if (opt.random_count < 1) throw InputError("--random-count must be >= 1");
    std::vector<Candidate> plan;
    for (std::size_t i : sample_indices(ranked.size(), std::size_t(opt.random_count), seed))
      plan.push_back(ranked[i]);
    return std::make_unique<ListStrategy>("random", std::move(plan));
  }
  throw InputError("--strategy: unknown '" + name + "' (accepted: " + strategy_names() + ")");
}

}  // namespace vqt::tuner
