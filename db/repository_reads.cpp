// Repository reads for the tuner's calibration and accuracy (kept apart from repository.cpp so
// that file stays short): ok measurements of a GPU class with their problems and candidates.
#include "db/repository.hpp"

namespace vqt::db {

std::vector<MeasuredTime> Repository::ok_measurements(const std::string& gpu_key) {
  auto& st = stmt("SELECT " + problem_columns("p.") +
                  ", c.key, m.median_s FROM measurements m JOIN gpus g ON g.id=m.gpu_id "
                  "JOIN problems p ON p.id=m.problem_id JOIN candidates c ON "
                  "c.id=m.candidate_id WHERE g.gpu_key=? AND m.status='ok' AND m.median_s > 0 "
                  "ORDER BY p.key, c.key, m.id");
  st.bind(1, gpu_key);
  std::vector<MeasuredTime> out;
  while (st.step()) {
    MeasuredTime t;
    t.problem = problem_from_columns(st, 0);
    t.candidate_key = st.get_text(21);
    t.candidate = Candidate::from_key(t.candidate_key);
    t.median_s = st.get_double(22);
    out.push_back(std::move(t));
  }
  st.reset();
  return out;
}

}  // namespace vqt::db
