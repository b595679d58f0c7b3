#include <gtest/gtest.h>

#include <random>

#include "vq/error.hpp"
#include "vq/packing.hpp"

using namespace vqt;

TEST(Packing, RoundTripEveryWidthAndOddCounts) {
  std::mt19937_64 rng(1234);
  for (int bits = 1; bits <= 16; ++bits) {
    for (std::int64_t count : {0, 1, 2, 3, 7, 31, 33, 63, 127, 1001}) {
      std::vector<std::uint16_t> idx(static_cast<std::size_t>(count));
      for (auto& x : idx) x = std::uint16_t(rng() & ((1u << bits) - 1u));
      const auto packed = pack_indices(idx.data(), count, bits);
      ASSERT_EQ(std::int64_t(packed.size()), (count * bits + 7) / 8) << bits << " " << count;
      const auto back = unpack_indices(packed.data(), std::int64_t(packed.size()), count, bits);
      ASSERT_EQ(back, idx) << "bits=" << bits << " count=" << count;
      for (std::int64_t i = 0; i < count; ++i)
        ASSERT_EQ(packed_index(packed.data(), i, bits), idx[std::size_t(i)]) << bits << " " << i;
    }
  }
}

TEST(Packing, LayoutIsLsbFirstLittleEndian) {
  // 12-bit indices 0xABC, 0x123: stream bits 0..11 = 0xABC, 12..23 = 0x123
  // -> bytes 0xBC, 0x3A (low nibble = C>>... ) computed by hand: value = 0x123ABC.
  const std::uint16_t idx[2] = {0xABC, 0x123};
  const auto p = pack_indices(idx, 2, 12);
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0], 0xBC);
  EXPECT_EQ(p[1], 0x3A);
  EXPECT_EQ(p[2], 0x12);
  // 3-bit: 5,2,7 -> bits 101 | 010<<3 | 111<<6 = 0b1_11_010_101 -> bytes 0xD5, 0x01
  const std::uint16_t idx3[3] = {5, 2, 7};
  const auto q = pack_indices(idx3, 3, 3);
  ASSERT_EQ(q.size(), 2u);
  EXPECT_EQ(q[0], 0xD5);
  EXPECT_EQ(q[1], 0x01);
  // 16-bit is plain little-endian uint16.
  const std::uint16_t idx16[1] = {0xBEEF};
  const auto r = pack_indices(idx16, 1, 16);
  EXPECT_EQ(r[0], 0xEF);
  EXPECT_EQ(r[1], 0xBE);
}

TEST(Packing, RejectsBadInput) {
  const std::uint16_t big[1] = {8};
  EXPECT_THROW(pack_indices(big, 1, 3), InputError);
  EXPECT_THROW(pack_indices(big, 1, 0), InputError);
  EXPECT_THROW(pack_indices(big, 1, 17), InputError);
  const std::uint8_t s[1] = {0};
  EXPECT_THROW(unpack_indices(s, 1, 2, 5), InputError);  // needs 2 bytes
}
