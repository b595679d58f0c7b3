#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "vq/half.hpp"

using namespace vqt;

TEST(Half, KnownPatterns) {
  EXPECT_EQ(float_to_half_bits(1.0f), 0x3C00);
  EXPECT_EQ(float_to_half_bits(-2.0f), 0xC000);
  EXPECT_EQ(float_to_half_bits(65504.0f), 0x7BFF);
  EXPECT_EQ(float_to_half_bits(65520.0f), 0x7C00);               // rounds up to inf
  EXPECT_EQ(float_to_half_bits(std::ldexp(1.0f, -24)), 0x0001);  // smallest subnormal
  EXPECT_EQ(float_to_half_bits(std::ldexp(1.0f, -26)), 0x0000);  // below half of it
  EXPECT_EQ(float_to_half_bits(-0.0f), 0x8000);
  EXPECT_EQ(float_to_half_bits(std::numeric_limits<float>::infinity()), 0x7C00);
  EXPECT_TRUE(std::isnan(half_bits_to_float(float_to_half_bits(std::nanf("")))));
  EXPECT_EQ(half_bits_to_float(0x3555), 0.333251953125f);
  EXPECT_EQ(half_bits_to_float(0x0001), std::ldexp(1.0f, -24));
  // Ties to even: 1 + 2^-11 is halfway between 1 and 1 + 2^-10 -> 1.
  EXPECT_EQ(float_to_half_bits(1.0f + std::ldexp(1.0f, -11)), 0x3C00);
  EXPECT_EQ(float_to_half_bits(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3C02);
}

TEST(Half, EveryFiniteHalfRoundTripsAndRoundingIsNearest) {
  for (std::uint32_t h = 0; h < 0x10000; ++h) {
    const auto bits = std::uint16_t(h);
    const float f = half_bits_to_float(bits);
    if (std::isnan(f)) continue;
    ASSERT_EQ(float_to_half_bits(f), bits) << std::hex << h;
  }
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-70000.0f, 70000.0f);
  for (int i = 0; i < 100000; ++i) {
    const float f = i % 2 ? u(rng) : u(rng) * 1e-6f;
    const std::uint16_t h = float_to_half_bits(f);
    const float g = half_bits_to_float(h);
    if (std::isinf(g)) {
      ASSERT_GE(std::fabs(f), 65504.0f);
      continue;
    }
    // No neighbouring half is closer.
    for (int d : {-1, 1}) {
      const std::uint16_t n = std::uint16_t(h + d);
      const float gn = half_bits_to_float(n);
      if (std::isnan(gn) || std::isinf(gn) || ((n ^ h) & 0x8000)) continue;
      ASSERT_LE(std::fabs(g - f), std::fabs(gn - f)) << f;
    }
  }
}
