// The verbs of `vqtune`. main() only parses the verb name and dispatches; each verb lives in its
// own cmd_<verb>.cpp, parses its own flags with Boost.Program_options and returns an exit code:
// 0 success, 2 bad input (one line naming the flag and what is accepted), 1 runtime failure.
#pragma once

#include <string>
#include <vector>

namespace vqt::cli {

using Args = std::vector<std::string>;  // the arguments after the verb

struct Verb {
  const char* name;
  const char* summary;  // one line for `vqtune --help`
  int (*run)(const Args& args);
};

// All verbs, in the order `vqtune --help` lists them.
const std::vector<Verb>& verbs();

int cmd_gpus(const Args& args);
int cmd_presets(const Args& args);
int cmd_predict(const Args& args);
int cmd_measure(const Args& args);
int cmd_tune(const Args& args);
int cmd_profile(const Args& args);
int cmd_accuracy(const Args& args);
int cmd_export(const Args& args);
int cmd_db(const Args& args);

}  // namespace vqt::cli
