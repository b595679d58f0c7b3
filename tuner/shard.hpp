// Suites of problems and their deterministic split for Slurm job arrays (--shard I/N).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/problem.hpp"

namespace vqt::tuner {

struct Shard {
  int index = 0;  // I, 0-based
  int count = 1;  // N
};

// Parses "I/N" with 0 <= I < N; throws InputError naming --shard.
Shard parse_shard(const std::string& text);

// The problems of shard I of N: the suite is de-duplicated by problem key and sorted by key, then
// every N-th from position I. Independent of the order the suite was given in, balanced to one
// problem, and the N shards together are the suite exactly once.
std::vector<Problem> shard_problems(std::vector<Problem> suite, const Shard& shard);

struct SuiteSpec {
  std::vector<std::string> models;    // llama-7b, llama-65b, llama-3-8b, ...
  std::vector<Op> ops;                // gemv, gemm, attention_decode
  std::vector<std::string> vq;        // presets or vq:v,b,r
  std::vector<std::int64_t> batches;  // gemv: batch; gemm: tokens; attention: batch
  std::int64_t context = 4096;        // attention_decode
};

// Every (model, op, vq, batch) layer problem, de-duplicated by key, sorted by key. Combinations a
// model shape or op does not take (e.g. a KV-cache preset on gemv) are InputErrors from
// expand_model / validate.
std::vector<Problem> suite_problems(const SuiteSpec& spec);

}  // namespace vqt::tuner
