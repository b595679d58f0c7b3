#include "vq/safetensors.hpp"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "vq/error.hpp"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "safetensors I/O copies little-endian data as is");

namespace vqt {

namespace {

using nlohmann::json;

std::string shape_str(const std::vector<std::int64_t>& s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + std::to_string(s[i]);
  return out + "]";
}

bool is_nonneg_int(const json& j) {
  return j.is_number_unsigned() || (j.is_number_integer() && j.get<std::int64_t>() >= 0);
}

}  // namespace

int safetensors_dtype_bytes(const std::string& d) {
  if (d == "F64" || d == "I64" || d == "U64") return 8;
  if (d == "F32" || d == "I32" || d == "U32") return 4;
  if (d == "F16" || d == "BF16" || d == "I16" || d == "U16") return 2;
  if (d == "I8" || d == "U8" || d == "BOOL") return 1;
  return 0;
}

const SafetensorsEntry& SafetensorsFile::at(const std::string& name) const {
  auto it = tensors.find(name);
  if (it == tensors.end()) throw InputError(path + ": missing tensor '" + name + "'");
  return it->second;
}

std::string SafetensorsFile::read(const std::string& name) const {
  const SafetensorsEntry& e = at(name);
  std::string out(static_cast<std::size_t>(e.end - e.begin), '\0');
  std::ifstream in(path, std::ios::binary);
  in.seekg(data_offset + e.begin);
  in.read(out.data(), std::streamsize(out.size()));
  if (!in) throw InputError(path + ": cannot read tensor '" + name + "' (file changed?)");
  return out;
}

SafetensorsFile read_safetensors(const std::string& path) {
  auto fail = [&](const std::string& msg) -> InputError { return InputError(path + ": " + msg); };
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw fail("cannot open the file");
  const auto file_bytes = std::uint64_t(std::streamoff(in.tellg()));
  if (file_bytes < 8)
    throw fail("truncated: " + std::to_string(file_bytes) +
               " bytes, shorter than the 8-byte header length");
  in.seekg(0);
  std::uint64_t header_len = 0;
  in.read(reinterpret_cast<char*>(&header_len), 8);
  if (header_len > file_bytes - 8)
    throw fail("header length " + std::to_string(header_len) + " goes beyond the file (" +
               std::to_string(file_bytes) + " bytes)");
  if (header_len > (std::uint64_t{100} << 20))  // the safetensors spec's limit
    throw fail("header length " + std::to_string(header_len) + " exceeds the 100 MB limit");
  std::string text(static_cast<std::size_t>(header_len), '\0');
  in.read(text.data(), std::streamsize(header_len));
  if (!in) throw fail("cannot read the header");
  json header;
  try {
    header = json::parse(text);
  } catch (const json::exception& e) {
    throw fail(std::string("header is not valid JSON (") + e.what() + ")");
  }
  if (!header.is_object()) throw fail("header is not a JSON object");
  SafetensorsFile f;
  f.path = path;
  f.data_offset = std::int64_t(8 + header_len);
  f.file_bytes = std::int64_t(file_bytes);
  const std::int64_t data_bytes = f.file_bytes - f.data_offset;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    const json& v = it.value();
    if (name == "__metadata__") {
      if (!v.is_object()) throw fail("__metadata__ is not a map of strings");
      for (auto m = v.begin(); m != v.end(); ++m) {
        if (!m.value().is_string()) throw fail("__metadata__ '" + m.key() + "' is not a string");
        f.metadata[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    const std::string who = "tensor '" + name + "'";
    if (!v.is_object() || !v.contains("dtype") || !v.contains("shape") ||
        !v.contains("data_offsets"))
      throw fail(who + " needs dtype, shape and data_offsets");
    SafetensorsEntry e;
    if (!v["dtype"].is_string()) throw fail(who + " dtype is not a string");
    e.dtype = v["dtype"].get<std::string>();
    const int eb = safetensors_dtype_bytes(e.dtype);
    if (eb == 0) throw fail(who + " has unknown dtype '" + e.dtype + "'");
    if (!v["shape"].is_array()) throw fail(who + " shape is not an array");
    std::int64_t numel = 1;
    for (const auto& d : v["shape"]) {
      if (!is_nonneg_int(d) || d.get<std::uint64_t>() > (std::uint64_t{1} << 40))
        throw fail(who + " shape has a bad dimension " + d.dump());
      e.shape.push_back(d.get<std::int64_t>());
      numel *= e.shape.back();
      if (numel > (std::int64_t{1} << 50)) throw fail(who + " shape is absurdly large");
    }
    const json& off = v["data_offsets"];
    if (!off.is_array() || off.size() != 2 || !is_nonneg_int(off[0]) || !is_nonneg_int(off[1]))
      throw fail(who + " data_offsets must be two non-negative integers");
    const auto b = off[0].get<std::uint64_t>(), en = off[1].get<std::uint64_t>();
    if (b > en || en > std::uint64_t(data_bytes))
      throw fail(who + " data_offsets [" + std::to_string(b) + "," + std::to_string(en) +
                 "] are out of range of the data section (" + std::to_string(data_bytes) +
                 " bytes; truncated file?)");
    e.begin = std::int64_t(b);
    e.end = std::int64_t(en);
    if (e.end - e.begin != numel * eb)
      throw fail(who + " has " + std::to_string(e.end - e.begin) + " bytes but " + e.dtype + " " +
                 shape_str(e.shape) + " needs " + std::to_string(numel * eb));
    f.tensors[name] = e;
  }
  std::vector<std::pair<std::int64_t, std::string>> order;
  for (const auto& [name, e] : f.tensors)
    if (e.end > e.begin) order.emplace_back(e.begin, name);
  std::sort(order.begin(), order.end());
  for (std::size_t i = 1; i < order.size(); ++i) {
    const auto& prev = f.tensors[order[i - 1].second];
    if (prev.end > order[i].first)
      throw fail("data_offsets of tensors '" + order[i - 1].second + "' and '" + order[i].second +
                 "' overlap");
  }
  return f;
}

void write_safetensors(const std::string& path, const std::vector<SafetensorsBlob>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::int64_t at = 0;
  for (const auto& t : tensors) {
    header[t.name] = {{"dtype", t.dtype},
                      {"shape", t.shape},
                      {"data_offsets", {at, at + std::int64_t(t.bytes.size())}}};
    at += std::int64_t(t.bytes.size());
  }
  std::string h = header.dump();
  while ((8 + h.size()) % 8 != 0) h += ' ';  // align the data section to 8 bytes
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw Error(path + ": cannot open for writing");
  const std::uint64_t n = h.size();
  out.write(reinterpret_cast<const char*>(&n), 8);
  out.write(h.data(), std::streamsize(h.size()));
  for (const auto& t : tensors) out.write(t.bytes.data(), std::streamsize(t.bytes.size()));
  if (!out) throw Error(path + ": write failed");
}

}  // namespace vqt
