#include <gtest/gtest.h>

#include <algorithm>

#include "vq/error.hpp"
#include "vq/vq_config.hpp"

using namespace vqt;

TEST(VqConfig, PresetsAreValidAndHaveTheirBitsPerElement) {
  EXPECT_EQ(vq_presets().size(), 7u);
  for (const auto& p : vq_presets()) EXPECT_NO_THROW(p.config.validate()) << p.name;
  EXPECT_DOUBLE_EQ(parse_vq("quip#-4").bits_per_element(), 4.0);
  EXPECT_DOUBLE_EQ(parse_vq("aqlm-3").bits_per_element(), 3.0);
  EXPECT_DOUBLE_EQ(parse_vq("gptvq-2").bits_per_element(), 2.0);
  EXPECT_DOUBLE_EQ(parse_vq("cq-4").bits_per_element(), 4.0);
  EXPECT_DOUBLE_EQ(parse_vq("cq-2").bits_per_element(), 2.0);
  EXPECT_DOUBLE_EQ(parse_vq("aqlm-2x8").bits_per_element(), 2.0);
  EXPECT_DOUBLE_EQ(parse_vq("aqlm-1x16").bits_per_element(), 2.0);
}

TEST(VqConfig, CodebookBytes) {
  EXPECT_EQ(parse_vq("aqlm-3").codebook_bytes(), 4096 * 8 * 2);  // 64 KiB per level
  EXPECT_EQ(parse_vq("aqlm-3").codebook_bytes_all_levels(), 128 * 1024);
  EXPECT_EQ(parse_vq("aqlm-1x16").codebook_bytes(), 1024 * 1024);  // 1 MiB
  EXPECT_EQ(parse_vq("quip#-4").codebook_bytes(), 256 * 8 * 2);    // lattice table, 4 KiB
}

TEST(VqConfig, ExplicitSpelling) {
  VqConfig c = parse_vq("vq:8,12,2");
  EXPECT_EQ(c.vec_size, 8);
  EXPECT_EQ(c.index_bits, 12);
  EXPECT_EQ(c.residuals, 2);
  EXPECT_EQ(c.key(), parse_vq("aqlm-3").key());
  VqConfig t = parse_vq("vq:4,8,1:tile=128x256");
  EXPECT_EQ(t.scope, Scope::per_tile);
  EXPECT_EQ(t.tile_rows, 128);
  VqConfig g = parse_vq("vq:2,8,1:group=4");
  EXPECT_EQ(g.scope, Scope::per_head_group);
}

TEST(VqConfig, EachViolationHasItsOwnMessage) {
  auto msg = [](const std::string& s) {
    try {
      parse_vq(s);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(msg("vq:3,8,1").find("power of two"), std::string::npos);
  EXPECT_NE(msg("vq:32,8,1").find("power of two"), std::string::npos);
  EXPECT_NE(msg("vq:8,17,1").find("index bits"), std::string::npos);
  EXPECT_NE(msg("vq:8,0,1").find("index bits"), std::string::npos);
  EXPECT_NE(msg("vq:8,8,5").find("residual"), std::string::npos);
  EXPECT_NE(msg("vq:8,8").find("three integers"), std::string::npos);
  EXPECT_NE(msg("vq:8,8,1:tile=0x256").find("tile"), std::string::npos);
  EXPECT_NE(msg("vq:8,8,1:tile=256x100").find("multiple"), std::string::npos);
  EXPECT_NE(msg("vq:4,8,1:group=6").find("channel group"), std::string::npos);
  EXPECT_NE(msg("aqlm-9").find("accepted"), std::string::npos);
  EXPECT_NE(msg("aqlm-9").find("--vq"), std::string::npos);
}

TEST(VqConfig, KeysDescriptionsAndEquality) {
  EXPECT_EQ(parse_vq("aqlm-3").key(), "v8b12r2:per_tensor");
  EXPECT_EQ(parse_vq("quip#-4").key(), "v8b16r2:per_tensor:lat256");
  EXPECT_EQ(parse_vq("gptvq-2").key(), "v4b8r1:per_tile:256x256");
  EXPECT_EQ(parse_vq("cq-4").key(), "v2b8r1:per_head_group:g2");
  EXPECT_EQ(parse_vq("aqlm-3").describe(), "aqlm-3 = VQ<8,12,2> per_tensor");
  EXPECT_EQ(parse_vq("vq:4,8,1:tile=128x256").describe(), "VQ<4,8,1> per_tile 128x256");
  EXPECT_TRUE(parse_vq("vq:2,8,1:group=2") == parse_vq("cq-4"));  // same format, other name
  EXPECT_FALSE(parse_vq("cq-4") == parse_vq("cq-2"));
  EXPECT_EQ(parse_vq("quip#-4").stored_entries(), 256);
  EXPECT_EQ(parse_vq("quip#-4").entries(), 65536);
  // Keys are distinct across presets (they index DB rows).
  std::vector<std::string> keys;
  for (const auto& p : vq_presets()) keys.push_back(p.config.key());
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(std::unique(keys.begin(), keys.end()), keys.end());
}

TEST(VqConfig, ExplicitSpellingRejectsGarbage) {
  for (const char* bad : {"vq:", "vq:8,8,1x", "vq:8,,1", "vq:8,8,1:tile=3", "vq:8,8,1:tile=8x8x",
                          "vq:8,8,1:group=", "vq:-8,8,1", "VQ:8,8,1", ""}) {
    EXPECT_THROW(parse_vq(bad), InputError) << bad;
  }
}
