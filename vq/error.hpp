// Errors in three layers (STYLE.md): kernels return cudaError_t; host code throws one of these
// with context; the CLI turns them into a one-line message and an exit code. Library code never
// calls exit().
#pragma once

#include <stdexcept>
#include <string>

namespace vqt {

// A runtime failure (I/O, SQLite, CUDA): the CLI exits with code 1.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

// The user's input is wrong (a flag, a shape, a file's contents): the CLI exits with code 2.
// `what()` is one line that names the flag or file and says what is accepted.
class InputError : public Error {
 public:
  explicit InputError(const std::string& what) : Error(what) {}
};

}  // namespace vqt
