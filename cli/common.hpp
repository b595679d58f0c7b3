// Shared plumbing of the verbs: option parsing with uniform error handling and output formats.
#pragma once

#include <boost/program_options.hpp>
#include <functional>
#include <string>

#include "cli/verbs.hpp"

namespace vqt::cli {

namespace po = boost::program_options;

enum class Format { table, json, csv };

// Runs `body` and maps exceptions to exit codes with one line on stderr, prefixed "vqtune VERB: ":
// vqt::InputError and Boost.Program_options errors -> 2, vqt::Error and others -> 1.
int guarded(const char* verb, const std::function<int()>& body);

// Throws InputError ("no CUDA device: ...", so exit 2) unless CUDA device `device` exists; in a
// build without CUDA, always ("this build has no CUDA"). For the verbs that run kernels.
void require_cuda_device(int device);

// Parses `args` against `desc` (with --help added by the caller). Unknown flags are errors.
po::variables_map parse(const Args& args, const po::options_description& desc,
                        const po::positional_options_description* positional = nullptr);

// --json / --csv flags on `desc`, and the chosen format from a parsed map.
void add_format_flags(po::options_description& desc);
Format chosen_format(const po::variables_map& vm);

// --data-sets (tune, profile): copies of each problem's device data that a candidate is timed
// over (profiler/profiler.hpp: data sets); 1..kMaxDataSets, else InputError.
// Default 16: on the H100, two processes with different allocation histories then agree within
// 1 % on 98.6 % of the candidates that read through L1 / shared memory (8 copies: 91 %; one
// copy against 8: 77 %), and the llama-7b suite tunes in 155 s (one copy: 426 s; the mean over
// placements is a steadier sample, so the rule stops sooner).
// bench/results/gpu-check-2026-12-07-s13.md.
constexpr int kDefaultDataSets = 16;
constexpr int kMaxDataSets = 64;
void add_data_sets_flag(po::options_description& desc);
int data_sets_flag(const po::variables_map& vm);

}  // namespace vqt::cli
