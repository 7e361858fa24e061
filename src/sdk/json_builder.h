// Builds an edgegate::Json from the events of eg_json_sink: the SDK half of JSON parsing.
//
// The gateway parses (eg_host_api.json_parse) and calls the sink; the sink builds the value
// here, inside the handler library. Sink callbacks are C function pointers called from gateway
// code, so nothing may escape them: an allocation failure is recorded and reported by
// ParseJson after json_parse returns.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "edgegate/abi.h"
#include "edgegate/sdk.hpp"

namespace edgegate::detail {

// Assembles one JSON document from sink events. Duplicate object keys: the last value wins,
// at the first key's position. A malformed event sequence (which a correct gateway never
// sends) makes Finish fail instead of crashing. Thread-compatible; single use.
class JsonBuilder {
 public:
  JsonBuilder() = default;
  JsonBuilder(const JsonBuilder&) = delete;
  JsonBuilder& operator=(const JsonBuilder&) = delete;

  // A sink whose `self` is this builder. Valid while the builder lives.
  eg_json_sink Sink() noexcept;

  // Moves the document into *out. Returns false if the events did not form exactly one
  // complete value or building failed.
  bool Finish(Json* out);

  // True if building ran out of memory (the caller rethrows std::bad_alloc).
  bool out_of_memory() const noexcept { return out_of_memory_; }

  // Event handlers (public for the C trampolines; not for direct use).
  void AddValue(Json value);
  void SetKey(std::string_view key);
  void Open(Json container);
  void Close(Json::Type type);
  void Fail(bool out_of_memory) noexcept;

 private:
  Json& NextSlot();

  Json root_;
  std::vector<Json*> open_;  // Containers being filled, innermost last.
  std::string key_;          // Key of the next member of the innermost object.
  bool has_key_ = false;
  bool has_root_ = false;
  bool failed_ = false;
  bool out_of_memory_ = false;
};

// Parses `text` through host.json_parse into *out. Returns false with *error set when the text
// is malformed. Throws std::bad_alloc if building the value ran out of memory.
bool ParseJson(const eg_host_api& host, eg_call* call, std::string_view text, Json* out,
               std::string* error);

// Makes object keys unique: the last value wins, kept at the first key's position.
void DeduplicateKeys(Json::Object& members);

}  // namespace edgegate::detail
