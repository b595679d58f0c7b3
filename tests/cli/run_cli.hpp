// Runs the built vqtune binary (VQT_CLI_BINARY: the environment variable when set, e.g. to a
// bundle's bin/vqtune on the GPU machine, else the build's path) with arguments and captures exit
// code, stdout and stderr separately (through temporary files).
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace vqt::test {

struct CliResult {
  int rc = -1;
  std::string out;
  std::string err;
  // Non-empty lines of stderr.
  std::vector<std::string> err_lines() const {
    std::vector<std::string> v;
    std::istringstream is(err);
    for (std::string line; std::getline(is, line);)
      if (!line.empty()) v.push_back(line);
    return v;
  }
};

inline std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// A fresh directory under the system temp dir, removed by the caller when wanted.
inline std::filesystem::path fresh_dir(const std::string& tag) {
  std::random_device rd;
  auto p = std::filesystem::temp_directory_path() /
           ("vqtune-" + tag + "-" + std::to_string(rd()) + std::to_string(rd()));
  std::filesystem::create_directories(p);
  return p;
}

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream is(p, std::ios::binary);
  std::stringstream ss;
  ss << is.rdbuf();
  return ss.str();
}

inline CliResult run_cli(const std::vector<std::string>& args) {
  static const std::filesystem::path dir = fresh_dir("cli-io");
  static int n = 0;
  const auto out = dir / ("out" + std::to_string(n) + ".txt");
  const auto err = dir / ("err" + std::to_string(n++) + ".txt");
  const char* env = std::getenv("VQT_CLI_BINARY");
  std::string cmd = quote(env && *env ? env : VQT_CLI_BINARY);
  for (const auto& a : args) cmd += " " + quote(a);
  cmd += " >" + quote(out.string()) + " 2>" + quote(err.string());
  const int status = std::system(cmd.c_str());
  CliResult r;
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

}  // namespace vqt::test
