#include "profiler/stats.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "vq/error.hpp"

namespace vqt::profiler {

Summary summarize(std::vector<double> values) {
  if (values.empty()) throw Error("summarize: no samples");
  Summary s;
  s.count = values.size();
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  s.median = n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
  s.min = values.front();
  s.max = values.back();
  double sum = 0;
  for (double v : values) sum += v;
  s.mean = sum / double(n);
  if (n > 1) {
    double sq = 0;
    for (double v : values) sq += (v - s.mean) * (v - s.mean);
    s.stdev = std::sqrt(sq / double(n - 1));
  }
  s.rel_stdev = s.mean != 0 ? s.stdev / std::fabs(s.mean) : 0;
  return s;
}

const char* to_string(StopReason r) {
  switch (r) {
    case StopReason::not_yet:
      return "not_yet";
    case StopReason::converged:
      return "converged";
    case StopReason::time_cap:
      return "time_cap";
    case StopReason::sample_cap:
      return "sample_cap";
  }
  return "?";
}

std::vector<std::size_t> Convergence::kept_by_clock() const {
  double top_mhz = 0;
  for (const auto& s : samples_) top_mhz = std::max(top_mhz, s.sm_clock_mhz);
  const double floor_mhz = top_mhz * (1.0 - rule_.clock_tolerance);
  std::vector<std::size_t> idx;
  for (std::size_t i = 0; i < samples_.size(); ++i) {
    const auto& s = samples_[i];
    if (s.hw_slowdown) continue;
    if (s.sm_clock_mhz > 0 && s.sm_clock_mhz < floor_mhz) continue;
    idx.push_back(i);
  }
  return idx;
}

bool Convergence::sustained_throttle() const {
  return !samples_.empty() && 2 * kept_by_clock().size() < samples_.size();
}

std::vector<std::size_t> Convergence::kept() const {
  if (sustained_throttle()) {
    std::vector<std::size_t> all(samples_.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    return all;
  }
  return kept_by_clock();
}

Summary Convergence::summary() const {
  std::vector<double> t;
  for (std::size_t i : kept()) t.push_back(samples_[i].time_s);
  if (t.empty()) throw Error("measurement: no samples kept");
  return summarize(std::move(t));
}

StopReason Convergence::check(double elapsed_s) const {
  const auto idx = kept();
  if (int(idx.size()) >= rule_.min_samples) {
    std::vector<double> t;
    for (std::size_t i : idx) t.push_back(samples_[i].time_s);
    const Summary s = summarize(std::move(t));
    if (s.rel_stdev < rule_.target_for(s.median)) return StopReason::converged;
  }
  if (int(samples_.size()) >= rule_.max_samples) return StopReason::sample_cap;
  if (elapsed_s >= rule_.max_time_s) return StopReason::time_cap;
  return StopReason::not_yet;
}

bool is_timed_sample(double busy_s, int activities) {
  return activities != 0 && std::isfinite(busy_s) && busy_s > 0;
}

IntervalSummary summarize_intervals(std::vector<Interval> v) {
  IntervalSummary t;
  t.count = int(v.size());
  if (v.empty()) return t;
  std::sort(v.begin(), v.end(),
            [](const Interval& a, const Interval& b) { return a.start_ns < b.start_ns; });
  std::uint64_t busy = 0, covered = 0, last_end = 0;
  std::uint64_t cur_s = v[0].start_ns, cur_e = v[0].end_ns;
  for (const auto& a : v) {
    if (a.end_ns < a.start_ns) throw Error("summarize_intervals: end before start");
    busy += a.end_ns - a.start_ns;
    last_end = std::max(last_end, a.end_ns);
    if (a.start_ns > cur_e) {
      covered += cur_e - cur_s;
      cur_s = a.start_ns;
      cur_e = a.end_ns;
    } else {
      cur_e = std::max(cur_e, a.end_ns);
    }
  }
  covered += cur_e - cur_s;
  const std::uint64_t span = last_end - v[0].start_ns;
  t.busy_s = double(busy) * 1e-9;
  t.span_s = double(span) * 1e-9;
  t.gap_s = double(span - covered) * 1e-9;
  return t;
}

std::vector<double> per_launch_busy_s(const std::vector<Interval>& sorted, int reps) {
  if (reps <= 0 || sorted.empty() || sorted.size() % std::size_t(reps) != 0)
    throw Error("CUPTI saw " + std::to_string(sorted.size()) + " activities for " +
                std::to_string(reps) + " launches: not the same number per launch");
  const std::size_t per = sorted.size() / std::size_t(reps);
  std::vector<double> out(std::size_t(reps), 0.0);
  for (std::size_t i = 0; i < sorted.size(); ++i)
    out[i / per] += double(sorted[i].end_ns - sorted[i].start_ns) * 1e-9;
  return out;
}

}  // namespace vqt::profiler
