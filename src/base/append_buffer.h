// AppendBuffer: a growable byte buffer for output that is built piece by piece on hot paths.
//
// Why not std::string: growing a std::string by n bytes to copy into them (resize) first writes
// n zero bytes, and appending piece by piece checks capacity once per piece. Extend(n) hands out
// n uninitialised bytes after one capacity check. Capacity survives Clear, so a buffer reused
// across requests stops allocating once it has seen its largest content.
// Thread-compatible.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

namespace edgegate::base {

class AppendBuffer {
 public:
  AppendBuffer() = default;
  AppendBuffer(const AppendBuffer& other) { *this = other; }
  AppendBuffer& operator=(const AppendBuffer& other) {
    if (this != &other) {
      size_ = 0;
      std::string_view v = other.view();
      if (!v.empty()) std::memcpy(Extend(v.size()), v.data(), v.size());
    }
    return *this;
  }
  AppendBuffer(AppendBuffer&&) noexcept = default;
  AppendBuffer& operator=(AppendBuffer&&) noexcept = default;

  // Returns `n` more bytes at the end, uninitialised, for the caller to fill.
  char* Extend(size_t n) {
    if (capacity_ - size_ < n) Grow(size_ + n);
    char* p = data_.get() + size_;
    size_ += n;
    return p;
  }
  void Clear() { size_ = 0; }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  std::string_view view() const { return {data_.get(), size_}; }

 private:
  void Grow(size_t needed) {
    size_t capacity = capacity_ < 64 ? 64 : capacity_ * 2;
    while (capacity < needed) capacity *= 2;
    auto data = std::make_unique_for_overwrite<char[]>(capacity);
    if (size_ != 0) std::memcpy(data.get(), data_.get(), size_);
    data_ = std::move(data);
    capacity_ = capacity;
  }

  std::unique_ptr<char[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace edgegate::base
