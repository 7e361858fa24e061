// Sink trampolines and the builder behind Request::json() / Context::parse_json().
#include "sdk/json_builder.h"

#include <algorithm>
#include <new>
#include <numeric>

namespace edgegate::detail {
namespace {

constexpr std::size_t kSmallObject = 16;  // Up to this size, check duplicates pairwise.

// Runs one event on the builder behind `self`; nothing escapes into the gateway's parser.
template <typename Event>
void Dispatch(void* self, Event event) noexcept {
  auto* builder = static_cast<JsonBuilder*>(self);
  try {
    event(*builder);
  } catch (const std::bad_alloc&) {
    builder->Fail(/*out_of_memory=*/true);
  } catch (...) {
    builder->Fail(/*out_of_memory=*/false);
  }
}

std::string_view View(eg_str s) {
  return s.size == 0 ? std::string_view() : std::string_view(s.data, s.size);
}

void OnNull(void* self) {
  Dispatch(self, [](JsonBuilder& b) { b.AddValue(Json()); });
}
void OnBool(void* self, int value) {
  Dispatch(self, [value](JsonBuilder& b) { b.AddValue(Json(value != 0)); });
}
void OnInt(void* self, std::int64_t value) {
  Dispatch(self, [value](JsonBuilder& b) { b.AddValue(Json(value)); });
}
void OnDouble(void* self, double value) {
  Dispatch(self, [value](JsonBuilder& b) { b.AddValue(Json(value)); });
}
void OnString(void* self, eg_str value) {
  Dispatch(self, [value](JsonBuilder& b) { b.AddValue(Json(View(value))); });
}
void OnKey(void* self, eg_str key) {
  Dispatch(self, [key](JsonBuilder& b) { b.SetKey(View(key)); });
}
void BeginArray(void* self) {
  Dispatch(self, [](JsonBuilder& b) { b.Open(Json::array()); });
}
void EndArray(void* self) {
  Dispatch(self, [](JsonBuilder& b) { b.Close(Json::Type::kArray); });
}
void BeginObject(void* self) {
  Dispatch(self, [](JsonBuilder& b) { b.Open(Json::object()); });
}
void EndObject(void* self) {
  Dispatch(self, [](JsonBuilder& b) { b.Close(Json::Type::kObject); });
}

// Index of each member sorted by (key, position): equal keys end up adjacent.
std::vector<std::size_t> SortedByKey(const Json::Object& members) {
  std::vector<std::size_t> order(members.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&members](std::size_t a, std::size_t b) {
    return members[a].key < members[b].key;
  });
  return order;
}

void DeduplicateLargeObject(Json::Object& members) {
  const std::vector<std::size_t> order = SortedByKey(members);
  std::vector<bool> drop(members.size(), false);
  for (std::size_t run = 0; run < order.size();) {
    std::size_t end = run + 1;
    while (end < order.size() && members[order[end]].key == members[order[run]].key) {
      drop[order[end]] = true;
      ++end;
    }
    if (end - run > 1) {
      members[order[run]].value = std::move(members[order[end - 1]].value);
    }
    run = end;
  }
  std::size_t kept = 0;
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (!drop[i]) {
      if (kept != i) {
        members[kept] = std::move(members[i]);
      }
      ++kept;
    }
  }
  members.resize(kept);
}

}  // namespace

void DeduplicateKeys(Json::Object& members) {
  if (members.size() > kSmallObject) {
    DeduplicateLargeObject(members);
    return;
  }
  for (std::size_t i = 1; i < members.size();) {
    auto first = std::find_if(members.begin(), members.begin() + static_cast<std::ptrdiff_t>(i),
                              [&](const Json::Member& m) { return m.key == members[i].key; });
    if (first == members.begin() + static_cast<std::ptrdiff_t>(i)) {
      ++i;
      continue;
    }
    first->value = std::move(members[i].value);
    members.erase(members.begin() + static_cast<std::ptrdiff_t>(i));
  }
}

eg_json_sink JsonBuilder::Sink() noexcept {
  return eg_json_sink{this,   &OnNull,     &OnBool,   &OnInt,       &OnDouble, &OnString,
                      &OnKey, &BeginArray, &EndArray, &BeginObject, &EndObject};
}

Json& JsonBuilder::NextSlot() {
  if (open_.empty()) {
    if (has_root_) {
      throw std::logic_error("JSON events after the document ended");
    }
    has_root_ = true;
    return root_;
  }
  Json& container = *open_.back();
  if (container.is_array()) {
    container.items().emplace_back();
    return container.items().back();
  }
  if (!has_key_) {
    throw std::logic_error("JSON object member without a key");
  }
  has_key_ = false;
  container.members().push_back(Json::Member{std::move(key_), Json()});
  return container.members().back().value;
}

void JsonBuilder::AddValue(Json value) {
  if (failed_) {
    return;
  }
  NextSlot() = std::move(value);
}

void JsonBuilder::SetKey(std::string_view key) {
  if (failed_) {
    return;
  }
  if (open_.empty() || !open_.back()->is_object() || has_key_) {
    throw std::logic_error("JSON key outside an object");
  }
  key_.assign(key);
  has_key_ = true;
}

void JsonBuilder::Open(Json container) {
  if (failed_) {
    return;
  }
  Json& slot = NextSlot();
  slot = std::move(container);
  open_.push_back(&slot);  // Stable: a parent is not modified while a child is open.
}

void JsonBuilder::Close(Json::Type type) {
  if (failed_) {
    return;
  }
  if (open_.empty() || open_.back()->type() != type || has_key_) {
    throw std::logic_error("unbalanced JSON events");
  }
  if (type == Json::Type::kObject) {
    DeduplicateKeys(open_.back()->members());
  }
  open_.pop_back();
}

void JsonBuilder::Fail(bool out_of_memory) noexcept {
  failed_ = true;
  out_of_memory_ = out_of_memory_ || out_of_memory;
}

bool JsonBuilder::Finish(Json* out) {
  if (failed_ || !has_root_ || !open_.empty()) {
    return false;
  }
  *out = std::move(root_);
  return true;
}

bool ParseJson(const eg_host_api& host, eg_call* call, std::string_view text, Json* out,
               std::string* error) {
  if (host.json_parse == nullptr) {
    *error = "JSON parsing is not available";
    return false;
  }
  JsonBuilder builder;
  const eg_json_sink sink = builder.Sink();
  eg_str message{nullptr, 0};
  const int ok = host.json_parse(call, eg_str{text.data(), text.size()}, &sink, &message);
  if (builder.out_of_memory()) {
    throw std::bad_alloc();
  }
  if (ok == 0) {
    *error = message.size > 0 ? std::string(message.data, message.size) : "invalid JSON";
    return false;
  }
  if (!builder.Finish(out)) {
    *error = "incomplete JSON document";
    return false;
  }
  return true;
}

}  // namespace edgegate::detail
