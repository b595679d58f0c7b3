// VQ tensors in safetensors files, the format quantized checkpoints ship in.
//
// File: 8-byte little-endian header length N, N bytes of JSON header, then the data section.
// The header maps tensor names to {"dtype", "shape", "data_offsets": [begin, end]} (offsets
// relative to the data section) and may hold "__metadata__", a map of strings.
//
// A VQ tensor named NAME (default "weight") is stored as:
//   NAME.codes      U16 [rows][cols / v][r]               the VqTensor codes, unpacked, or
//                   U8 [ceil(rows * cols / v * r * b / 8)] the same codes in the same order as a
//                                                         b-bit stream (vq/packing.hpp layout)
//   NAME.codebooks  F32 or F16 [instances][r][stored][v]  the VqTensor codebooks
//   NAME.histogram  U64 [r][stored]                       optional index histogram
// and __metadata__ entries (all strings):
//   "vqtune.format" "1"; "vqtune.config" config.key(); "vqtune.name" the preset name;
//   "vqtune.v", "vqtune.b", "vqtune.r", "vqtune.scope", "vqtune.tile_rows", "vqtune.tile_cols",
//   "vqtune.channel_group", "vqtune.lattice_entries", "vqtune.rows", "vqtune.cols".
//
// Reading checks everything and throws InputError naming the file and the problem: a file shorter
// than 8 bytes, a header length beyond the file, a header that is not JSON or not a map of
// tensors, unknown dtypes, data_offsets out of range, of the wrong size for dtype x shape, or
// overlapping, missing tensors, wrong dtypes or shapes, and a config that disagrees with itself
// (key vs fields) or with the shapes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "vq/histogram.hpp"
#include "vq/vq_tensor.hpp"

namespace vqt {

// ---- Generic safetensors ---------------------------------------------------------------------

struct SafetensorsEntry {
  std::string dtype;  // "F32", "F16", "U16", "U8", "I64", "U64", ...
  std::vector<std::int64_t> shape;
  std::int64_t begin = 0, end = 0;  // byte offsets in the data section
};

// The validated header of a file; tensor bytes are read on demand, so opening one tensor of a
// multi-GB checkpoint reads only that tensor.
struct SafetensorsFile {
  std::string path;
  std::map<std::string, SafetensorsEntry> tensors;
  std::map<std::string, std::string> metadata;
  std::int64_t data_offset = 0;  // file offset of the data section (8 + header length)
  std::int64_t file_bytes = 0;
  // Entry of tensor `name`; throws InputError naming the file if it is missing.
  const SafetensorsEntry& at(const std::string& name) const;
  // The raw bytes of tensor `name` (read from the file now; throws InputError if it is missing
  // or the file changed underneath).
  std::string read(const std::string& name) const;
};

// Bytes per element of a dtype name, 0 if unknown.
int safetensors_dtype_bytes(const std::string& dtype);

// Reads the header and validates the container (see above) against the file size. Throws
// InputError naming `path`.
SafetensorsFile read_safetensors(const std::string& path);

struct SafetensorsBlob {
  std::string name, dtype;
  std::vector<std::int64_t> shape;
  std::string bytes;
};
// Writes tensors in the given order (data 8-byte aligned via header padding). Throws Error if the
// file cannot be written.
void write_safetensors(const std::string& path, const std::vector<SafetensorsBlob>& tensors,
                       const std::map<std::string, std::string>& metadata);

// ---- VQ tensors ------------------------------------------------------------------------------

struct VqWriteOptions {
  std::string name = "weight";
  bool fp16_codebooks = false;  // F16 codebooks (rounded to nearest even) instead of F32
  bool packed_codes = false;    // NAME.codes as a b-bit stream (U8, see above) instead of U16
};

void write_vq_safetensors(const std::string& path, const VqTensor& t,
                          const IndexHistogram* histogram = nullptr,
                          const VqWriteOptions& opt = {});

struct VqFile {
  VqTensor tensor;
  std::optional<IndexHistogram> histogram;  // source = "file:PATH"
};

VqFile read_vq_safetensors(const std::string& path, const std::string& name = "weight");

// What a VQ file holds, from its header alone (no tensor data is read), with every metadata,
// dtype and shape check of read_vq_safetensors() (not the code range check, which needs the data).
struct VqFileInfo {
  VqConfig config;
  std::int64_t rows = 0, cols = 0;
  bool packed_codes = false;    // NAME.codes is a U8 b-bit stream
  bool fp16_codebooks = false;  // NAME.codebooks is F16
  bool has_histogram = false;   // NAME.histogram is present
};
VqFileInfo read_vq_info(const std::string& path, const std::string& name = "weight");

// Names of the VQ tensors in a file (every NAME with a NAME.codes tensor), sorted.
std::vector<std::string> list_vq_tensors(const std::string& path);

// The index histogram of a VQ file, for `vqtune predict --vq-file`: the stored NAME.histogram if
// the file has one, else the tensor is reordered hottest first (vq/reorder.hpp) and counted.
// source = "file:PATH".
IndexHistogram histogram_from_vq_file(const std::string& path, const std::string& name = "weight");

}  // namespace vqt
