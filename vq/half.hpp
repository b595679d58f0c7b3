// IEEE 754 binary16 <-> binary32 conversion on the host, without CUDA headers. fp16 values travel
// as their 16-bit patterns (uint16_t). float -> half rounds to nearest, ties to even, keeps
// subnormals, overflows to infinity and keeps NaN a (quiet) NaN.
#pragma once

#include <cstdint>
#include <cstring>

namespace vqt {

inline float half_bits_to_float(std::uint16_t h) {
  const std::uint32_t sign = std::uint32_t(h & 0x8000u) << 16;
  const std::uint32_t exp = (h >> 10) & 0x1Fu;
  std::uint32_t mant = h & 0x3FFu;
  std::uint32_t bits;
  if (exp == 0x1F) {
    bits = sign | 0x7F800000u | (mant << 13);  // inf or NaN (payload kept)
  } else if (exp != 0) {
    bits = sign | ((exp + 112u) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;  // +-0
  } else {
    // Subnormal half: normalise into a float.
    std::uint32_t e = 113;
    while ((mant & 0x400u) == 0) {
      mant <<= 1;
      --e;
    }
    bits = sign | (e << 23) | ((mant & 0x3FFu) << 13);
  }
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

inline std::uint16_t float_to_half_bits(float f) {
  std::uint32_t x;
  std::memcpy(&x, &f, sizeof x);
  const auto sign = std::uint16_t((x >> 16) & 0x8000u);
  const std::uint32_t exp = (x >> 23) & 0xFFu;
  const std::uint32_t mant = x & 0x7FFFFFu;
  if (exp == 0xFF) return std::uint16_t(sign | 0x7C00u | (mant ? 0x200u | (mant >> 13) : 0u));
  // Unbiased exponent of the half result.
  const int e = int(exp) - 127 + 15;
  if (e >= 0x1F) return std::uint16_t(sign | 0x7C00u);  // overflow -> inf
  if (e <= 0) {
    if (e < -10) return sign;  // underflows to +-0 (even after rounding)
    // Subnormal: shift the mantissa (with its implicit 1) right, round to nearest even.
    const std::uint32_t m = mant | 0x800000u;
    const int shift = 14 - e;
    std::uint32_t r = m >> shift;
    const std::uint32_t rem = m & ((1u << shift) - 1u);
    const std::uint32_t halfway = 1u << (shift - 1);
    if (rem > halfway || (rem == halfway && (r & 1u))) ++r;
    return std::uint16_t(sign | r);
  }
  std::uint32_t r = (std::uint32_t(e) << 10) | (mant >> 13);
  const std::uint32_t rem = mant & 0x1FFFu;
  if (rem > 0x1000u || (rem == 0x1000u && (r & 1u))) ++r;  // may carry into exp / to inf: correct
  return std::uint16_t(sign | r);
}

}  // namespace vqt
