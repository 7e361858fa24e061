// Eight bytes at a time ("SIMD within a register") for the request path's short scans: '/' in a
// path, ':' and upper case in a Host header, control bytes in a header value, hash loads.
// Unaligned loads go through memcpy (one mov on x86-64). Little-endian: the lowest set bit of a
// result belongs to the first byte in memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace edgegate::base::swar {

inline constexpr uint64_t kOnes = 0x0101010101010101ULL;
inline constexpr uint64_t kHighs = 0x8080808080808080ULL;

inline uint64_t Load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline uint64_t Load32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// The high bit of every zero byte of `w` is set. Exact for the lowest zero byte; a byte above a
// zero byte may be flagged too (the borrow), so use FirstByte, or recheck the bytes.
inline uint64_t ZeroBytes(uint64_t w) { return (w - kOnes) & ~w & kHighs; }

// Bytes of `w` equal to `c`, as ZeroBytes marks them.
inline uint64_t BytesEqual(uint64_t w, char c) {
  return ZeroBytes(w ^ (kOnes * static_cast<unsigned char>(c)));
}

// Bytes of `w` below `n` (n <= 0x80), as ZeroBytes marks them.
inline uint64_t BytesBelow(uint64_t w, unsigned char n) { return (w - kOnes * n) & ~w & kHighs; }

// The index of the byte whose high bit is the lowest set in `bits`. REQUIRES: bits != 0.
inline size_t FirstByte(uint64_t bits) { return static_cast<size_t>(__builtin_ctzll(bits)) >> 3; }

}  // namespace edgegate::base::swar
