// Read buffers shared by the connections of one loop (see BufferPool).
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

namespace edgegate::http::internal {

// The read buffers of one loop that no connection holds: an idle keep-alive connection gives its
// buffer back, so ten thousand idle connections do not hold ten thousand buffers. Loop-affine.
class BufferPool {
 public:
  static constexpr size_t kBufferSize = 4096;  // one read; larger requests grow their buffer
  // A buffer of kBufferSize bytes (uninitialised).
  std::unique_ptr<char[]> Take() {
    if (free_.empty()) {
      return std::unique_ptr<char[]>(new char[kBufferSize]);
    }
    std::unique_ptr<char[]> buffer = std::move(free_.back());
    free_.pop_back();
    return buffer;
  }
  // Takes back a buffer of kBufferSize bytes; beyond kMaxPooled it is freed.
  void Give(std::unique_ptr<char[]> buffer) {
    if (free_.size() < kMaxPooled) {
      free_.push_back(std::move(buffer));
    }
  }

 private:
  static constexpr size_t kMaxPooled = 256;
  std::vector<std::unique_ptr<char[]>> free_;
};

}  // namespace edgegate::http::internal
