// Eight bytes at a time ("SIMD within a register") for the request path's short scans: '/' and
// '%' in a path, ':' and upper case in a Host header, control bytes in a header value, hash
// loads, and the compares and copies of short strings. Unaligned loads and stores go through
// memcpy of a constant size (one mov on x86-64). Little-endian: the lowest set bit of a result
// belongs to the first byte in memory.
//
// Why not call memcmp, memchr and memcpy: the strings of a request are a few bytes to a few
// dozen, and for those the call (through the PLT, then the size dispatch in the libc routine)
// costs more than the work. A request used to make about five such calls in the gateway.
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

inline void Store64(char* p, uint64_t v) { std::memcpy(p, &v, sizeof v); }
inline void Store32(char* p, uint32_t v) { std::memcpy(p, &v, sizeof v); }

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

// True if the `n` bytes at a and b are equal, for n <= 8, without a byte loop: two overlapping
// 4-byte loads cover 4 to 8 bytes; bytes 0, n/2 and n-1 cover 1 to 3.
inline bool ShortEqual(const char* a, const char* b, size_t n) {
  if (n >= 4) {
    return Load32(a) == Load32(b) && Load32(a + n - 4) == Load32(b + n - 4);
  }
  return n == 0 || (a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1]);
}

// True if the `n` bytes at a and b are equal, for any n: eight bytes at a time, the last word
// overlapping the one before.
inline bool Equal(const char* a, const char* b, size_t n) {
  if (n <= 8) {
    return ShortEqual(a, b, n);
  }
  for (size_t i = 0; i + 8 < n; i += 8) {
    if (Load64(a + i) != Load64(b + i)) {
      return false;
    }
  }
  return Load64(a + n - 8) == Load64(b + n - 8);
}

// Returns the offset of the first `c` in p[pos, limit), or `limit`. A rest shorter than eight
// bytes is read as the last eight bytes before `limit`, shifted, when there are eight.
// REQUIRES: c != '\0' (the shift fills with zero bytes).
inline size_t FindByte(const char* p, size_t pos, size_t limit, char c) {
  for (; limit - pos >= 8; pos += 8) {
    if (uint64_t hit = BytesEqual(Load64(p + pos), c)) {
      return pos + FirstByte(hit);
    }
  }
  const size_t rest = limit - pos;
  if (rest == 0) {
    return limit;
  }
  if (limit >= 8) {
    // The rest's bytes are the top `rest` bytes of the word ending at `limit`; shifting them
    // down fills the top with zero bytes, which are not `c`.
    const uint64_t hit = BytesEqual(Load64(p + limit - 8) >> (8 * (8 - rest)), c);
    return hit != 0 ? pos + FirstByte(hit) : limit;
  }
  while (pos < limit && p[pos] != c) {
    ++pos;
  }
  return pos;
}

// Copies `n` bytes from `src` to `dst` (not overlapping): up to 32 bytes with overlapping word
// moves, longer runs with memcpy.
inline void Copy(char* dst, const char* src, size_t n) {
  if (n >= 8) {
    if (n > 32) {
      std::memcpy(dst, src, n);
      return;
    }
    // 8 to 32 bytes: the first and last 8, and for over 16 the 8 after the first and the 8
    // before the last. Everything is loaded before the first store.
    const uint64_t head = Load64(src), tail = Load64(src + n - 8);
    if (n > 16) {
      const uint64_t head2 = Load64(src + 8), tail2 = Load64(src + n - 16);
      Store64(dst + 8, head2);
      Store64(dst + n - 16, tail2);
    }
    Store64(dst, head);
    Store64(dst + n - 8, tail);
  } else if (n >= 4) {
    const uint32_t head = static_cast<uint32_t>(Load32(src));
    const uint32_t tail = static_cast<uint32_t>(Load32(src + n - 4));
    Store32(dst, head);
    Store32(dst + n - 4, tail);
  } else if (n != 0) {
    const char first = src[0], middle = src[n / 2], last = src[n - 1];
    dst[0] = first;
    dst[n / 2] = middle;
    dst[n - 1] = last;
  }
}

}  // namespace edgegate::base::swar
