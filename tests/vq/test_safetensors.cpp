#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <random>

#include "random_tensor.hpp"
#include "vq/error.hpp"
#include "vq/half.hpp"
#include "vq/safetensors.hpp"

using namespace vqt;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

class Safetensors : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("vqt_st_" + std::to_string(std::random_device{}()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void spit(const std::string& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
}

std::string with_header(const json& header, const std::string& data) {
  const std::string h = header.dump();
  std::string out(8, '\0');
  const std::uint64_t n = h.size();
  std::memcpy(&out[0], &n, 8);
  return out + h + data;
}

// Splits a file into its header JSON and data section.
std::pair<json, std::string> split(const std::string& bytes) {
  std::uint64_t n;
  std::memcpy(&n, bytes.data(), 8);
  return {json::parse(bytes.substr(8, n)), bytes.substr(8 + n)};
}

// Expects read_vq_safetensors(p) to throw InputError mentioning the file and `what`.
void expect_error(const std::string& p, const std::string& what) {
  try {
    read_vq_safetensors(p);
    ADD_FAILURE() << "no error for " << what;
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(p), std::string::npos) << msg;
    EXPECT_NE(msg.find(what), std::string::npos) << "wanted '" << what << "' in: " << msg;
  }
}

}  // namespace

TEST_F(Safetensors, RoundTripEveryScopeWithHistogram) {
  std::uint64_t seed = std::random_device{}();
  for (const char* spec : {"aqlm-3", "quip#-4", "vq:4,8,1:tile=8x32", "vq:2,5,2:group=4"}) {
    const VqTensor t = test::random_tensor(parse_vq(spec), 16, 64, seed++);
    IndexHistogram h = histogram_of(t);
    const std::string p = path("t.safetensors");
    write_vq_safetensors(p, t, &h);
    const VqFile f = read_vq_safetensors(p);
    EXPECT_EQ(f.tensor.config.key(), t.config.key()) << spec;
    EXPECT_EQ(f.tensor.config.name, t.config.name);
    EXPECT_EQ(f.tensor.rows, 16);
    EXPECT_EQ(f.tensor.cols, 64);
    EXPECT_EQ(f.tensor.codes, t.codes);
    EXPECT_EQ(f.tensor.codebooks, t.codebooks);
    ASSERT_TRUE(f.histogram.has_value());
    EXPECT_EQ(f.histogram->counts, h.counts);
    EXPECT_EQ(f.histogram->source, "file:" + p);
    EXPECT_EQ(histogram_from_vq_file(p).counts, h.counts);  // the stored one
    const VqFileInfo info = read_vq_info(p);
    EXPECT_EQ(info.config.key(), t.config.key());
    EXPECT_EQ(info.rows, 16);
    EXPECT_EQ(info.cols, 64);
    EXPECT_TRUE(info.has_histogram);
    EXPECT_FALSE(info.packed_codes);
    EXPECT_FALSE(info.fp16_codebooks);
    // The container is plain safetensors: 8-byte length, JSON, data 8-byte aligned.
    const auto [header, data] = split(slurp(p));
    EXPECT_EQ(header["__metadata__"]["vqtune.config"], t.config.key());
    EXPECT_EQ(header["weight.codes"]["dtype"], "U16");
    EXPECT_EQ((slurp(p).size() - data.size()) % 8, 0u);
  }
}

TEST_F(Safetensors, Fp16CodebooksAndCustomNameWithoutHistogram) {
  const VqTensor t = test::random_tensor(parse_vq("aqlm-2x8"), 8, 32, 5);
  const std::string p = path("h.safetensors");
  VqWriteOptions o;
  o.name = "layers.0.q_proj";
  o.fp16_codebooks = true;
  write_vq_safetensors(p, t, nullptr, o);
  EXPECT_EQ(list_vq_tensors(p), std::vector<std::string>{"layers.0.q_proj"});
  const VqFile f = read_vq_safetensors(p, "layers.0.q_proj");
  EXPECT_FALSE(f.histogram.has_value());
  ASSERT_EQ(f.tensor.codebooks.size(), t.codebooks.size());
  for (std::size_t i = 0; i < t.codebooks.size(); ++i)
    ASSERT_EQ(f.tensor.codebooks[i], half_bits_to_float(float_to_half_bits(t.codebooks[i])));
  EXPECT_EQ(f.tensor.codes, t.codes);
  expect_error(p, "missing tensor 'weight.codes'");
  // Without a stored histogram the file's codes are counted after reordering.
  const IndexHistogram h = histogram_from_vq_file(p, "layers.0.q_proj");
  EXPECT_EQ(h.source, "file:" + p);
  EXPECT_EQ(h.total(0), std::uint64_t(8 * 32 / 8));
  for (int l = 0; l < 2; ++l)
    for (std::int64_t e = 1; e < h.entries; ++e)
      ASSERT_GE(h.counts[std::size_t(l)][std::size_t(e - 1)],
                h.counts[std::size_t(l)][std::size_t(e)]);
}

TEST_F(Safetensors, PackedCodesRoundTripForOddWidths) {
  std::uint64_t seed = std::random_device{}();
  for (const char* spec : {"aqlm-3", "vq:4,5,3", "vq:2,1,1", "quip#-4", "vq:8,13,1"}) {
    const VqTensor t = test::random_tensor(parse_vq(spec), 7, 64, seed++);
    const std::string p = path("p.safetensors");
    VqWriteOptions o;
    o.packed_codes = true;
    write_vq_safetensors(p, t, nullptr, o);
    const auto [header, data] = split(slurp(p));
    EXPECT_EQ(header["weight.codes"]["dtype"], "U8");
    const std::int64_t n = std::int64_t(t.codes.size());
    EXPECT_EQ(header["weight.codes"]["shape"][0].get<std::int64_t>(),
              (n * t.config.index_bits + 7) / 8)
        << spec;
    const VqFile f = read_vq_safetensors(p);
    EXPECT_EQ(f.tensor.codes, t.codes) << spec;
    // A packed stream of the wrong length is a shape error.
    json hd = header;
    hd["weight.codes"]["shape"] = {hd["weight.codes"]["shape"][0].get<std::int64_t>() - 1};
    hd["weight.codes"]["data_offsets"][1] = hd["weight.codes"]["data_offsets"][1].get<int>() - 1;
    spit(p, with_header(hd, data));
    expect_error(p, "weight.codes' has shape");
  }
}

TEST_F(Safetensors, ContainerCorruptionsAreInputErrors) {
  const VqTensor t = test::random_tensor(parse_vq("aqlm-3"), 8, 32, 9);
  const std::string good = path("good.safetensors");
  write_vq_safetensors(good, t);
  const std::string bytes = slurp(good);
  const std::string p = path("bad.safetensors");

  spit(p, bytes.substr(0, 5));
  expect_error(p, "truncated");
  spit(p, bytes.substr(0, 8 + 10));
  expect_error(p, "beyond the file");
  spit(p, bytes.substr(0, bytes.size() - 10));
  expect_error(p, "out of range");
  spit(p, with_header(json::parse("[1,2]"), ""));
  expect_error(p, "not a JSON object");
  std::string broken = bytes;
  broken[9] = '#';
  spit(p, broken);
  expect_error(p, "not valid JSON");
  spit(p, "");
  expect_error(p, "truncated");
  expect_error(path("does-not-exist.safetensors"), "cannot open");

  const std::string six = "abcdef";
  auto u8 = [](int b, int e, int n) {
    return json{{"dtype", "U8"}, {"shape", {n}}, {"data_offsets", {b, e}}};
  };
  spit(p, with_header({{"a", u8(0, 4, 4)}, {"b", u8(2, 6, 4)}}, six));
  expect_error(p, "overlap");
  spit(p, with_header({{"a", u8(0, 100, 100)}}, six));
  expect_error(p, "out of range");
  spit(p, with_header({{"a", u8(0, 3, 4)}}, six));
  expect_error(p, "needs 4");
  spit(p, with_header({{"a", u8(4, 2, 0)}}, six));
  expect_error(p, "out of range");
  spit(p, with_header({{"a", {{"dtype", "Q7"}, {"shape", {1}}, {"data_offsets", {0, 1}}}}}, six));
  expect_error(p, "unknown dtype");
  spit(p, with_header({{"a", {{"dtype", "U8"}, {"shape", {-1}}, {"data_offsets", {0, 1}}}}}, six));
  expect_error(p, "bad dimension");
  spit(p, with_header({{"a", {{"dtype", "U8"}, {"shape", {1}}}}}, six));
  expect_error(p, "data_offsets");
  spit(p, with_header({{"a", u8(0, 6, 6)}}, six));
  expect_error(p, "not a vqtune VQ file");
}

TEST_F(Safetensors, VqContentErrorsAreInputErrors) {
  const VqTensor t = test::random_tensor(parse_vq("aqlm-3"), 8, 32, 11);
  const IndexHistogram h = histogram_of(t);
  const std::string good = path("good.safetensors");
  write_vq_safetensors(good, t, &h);
  const auto [header, data] = split(slurp(good));
  const std::string p = path("bad.safetensors");
  auto mutate = [&](auto fn) {
    json hd = header;
    std::string d = data;
    fn(hd, d);
    spit(p, with_header(hd, d));
  };
  mutate([](json& hd, std::string&) { hd["weight.codes"]["dtype"] = "I16"; });
  expect_error(p, "dtype I16, expected U16");
  EXPECT_THROW(read_vq_info(p), InputError);  // header checks alone catch it
  mutate([](json& hd, std::string&) { hd["weight.codebooks"]["dtype"] = "I32"; });
  expect_error(p, "expected F32 or F16");
  mutate([](json& hd, std::string&) { hd["weight.codes"]["shape"] = {8, 8, 1}; });
  expect_error(p, "has shape [8,8,1]");
  mutate([](json& hd, std::string&) { hd.erase("weight.codebooks"); });
  expect_error(p, "missing tensor 'weight.codebooks'");
  mutate([](json& hd, std::string&) { hd["__metadata__"]["vqtune.rows"] = "16"; });
  expect_error(p, "needs [16,4,2]");  // config says 16 rows, codes hold 8
  mutate([](json& hd, std::string&) { hd["__metadata__"]["vqtune.r"] = "1"; });
  expect_error(p, "disagrees");  // key says r=2
  mutate([](json& hd, std::string&) { hd["__metadata__"]["vqtune.b"] = "x"; });
  expect_error(p, "not a non-negative integer");
  mutate([](json& hd, std::string&) { hd["__metadata__"]["vqtune.v"] = "3"; });
  expect_error(p, "power of two");
  mutate([](json& hd, std::string&) { hd["__metadata__"]["vqtune.cols"] = "30"; });
  expect_error(p, "multiple of v=8");
  mutate([](json& hd, std::string&) { hd["__metadata__"].erase("vqtune.scope"); });
  expect_error(p, "vqtune.scope");
  mutate([](json& hd, std::string&) { hd["weight.histogram"]["shape"] = {4096, 2}; });
  expect_error(p, "weight.histogram' has shape");
  mutate([&](json& hd, std::string& d) {
    const std::size_t at = hd["weight.codes"]["data_offsets"][0].get<std::size_t>();
    d[at] = char(0xFF);  // code 0x??FF >= 4096 with the high byte set too
    d[at + 1] = char(0xFF);
  });
  expect_error(p, "does not fit in b=12 bits");
  EXPECT_NO_THROW(read_vq_safetensors(good));
}
