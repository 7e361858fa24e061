// OpenAPI parsing with yaml-cpp: one checking walk over the whole document (every `$ref`,
// duplicate keys, size budget), then the extraction of operations from `paths`.
//
// yaml-cpp's Node is a reference type whose operator= writes into the tree it refers to, and
// whose non-const operator[] inserts: this file only copy-constructs Nodes, rebinds with reset()
// and reads children through Child(), so the parsed document is never modified.
#include "admin/openapi.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <sstream>
#include <string>
#include <unordered_set>

namespace edgegate::admin {
namespace {

constexpr std::string_view kMethods[] = {"get",     "put",  "post",  "delete",
                                         "options", "head", "patch", "trace"};
constexpr size_t kMaxProblems = 100;  // enough to fix a spec; bounds the reply
constexpr int kMaxRefHops = 32;       // a longer $ref chain is treated as a circle

// The child of `map` under `key`, or an undefined Node (IsDefined() false).
YAML::Node Child(const YAML::Node& map, std::string_view key) {
  if (map.IsDefined() && map.IsMap()) {
    for (const auto& kv : map) {
      if (kv.first.IsScalar() && kv.first.Scalar() == key) {
        return kv.second;
      }
    }
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

std::string ScalarOr(const YAML::Node& node, std::string fallback = "") {
  return node.IsDefined() && node.IsScalar() ? node.Scalar() : fallback;
}

bool IsMethod(std::string_view key) {
  for (std::string_view m : kMethods) {
    if (m == key) return true;
  }
  return false;
}

std::string Join(std::string_view location, std::string_view key) {
  return location.empty() ? std::string(key) : std::string(location) + "." + std::string(key);
}

// Decodes one JSON-pointer token of a URI fragment: %XX, then ~1 → '/', ~0 → '~'.
std::string DecodePointerToken(std::string_view token) {
  std::string pct;
  for (size_t i = 0; i < token.size(); ++i) {
    auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
    if (token[i] == '%' && i + 2 < token.size() && hex(token[i + 1]) && hex(token[i + 2])) {
      pct += static_cast<char>(std::stoi(std::string(token.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      pct += token[i];
    }
  }
  std::string out;
  for (size_t i = 0; i < pct.size(); ++i) {
    if (pct[i] == '~' && i + 1 < pct.size() && (pct[i + 1] == '0' || pct[i + 1] == '1')) {
      out += pct[i + 1] == '1' ? '/' : '~';
      ++i;
    } else {
      out += pct[i];
    }
  }
  return out;
}

// Checks a document and reads operations out of it. Thread-compatible; one per parse.
class SpecReader {
 public:
  SpecReader(const YAML::Node& root, const SpecLimits& limits) : root_(root), limits_(limits) {}

  std::vector<SpecProblem>& problems() { return problems_; }

  void Add(std::string location, std::string message, const YAML::Node* at = nullptr) {
    if (problems_.size() >= kMaxProblems) return;
    SpecProblem p{std::move(location), std::move(message)};
    if (at != nullptr && at->IsDefined() && at->Mark().line >= 0) {
      p.line = at->Mark().line + 1;
      p.column = at->Mark().column + 1;
    }
    problems_.push_back(std::move(p));
  }

  // Visits the whole document once: every $ref, duplicate keys, the node budget.
  void Walk(const YAML::Node& node, const std::string& location, int depth) {
    if (++visited_ > limits_.max_nodes || depth > limits_.max_depth) {
      if (!over_budget_) {
        Add(location,
            visited_ > limits_.max_nodes
                ? "the spec is too large to check (over " + std::to_string(limits_.max_nodes) +
                      " nodes, aliases included)"
                : "nested deeper than " + std::to_string(limits_.max_depth) + " levels",
            &node);
      }
      over_budget_ = true;
      return;
    }
    if (node.IsSequence()) {
      size_t i = 0;
      for (const YAML::Node& item : node) {
        Walk(item, location + "[" + std::to_string(i++) + "]", depth + 1);
        if (over_budget_) return;
      }
    } else if (node.IsMap()) {
      WalkMap(node, location, depth);
    }
  }

  // The node `node` stands for: itself, or the end of its chain of $refs. Undefined if the
  // chain is broken (Walk has reported it).
  YAML::Node Deref(const YAML::Node& node) {
    YAML::Node current(node);
    for (int hop = 0; hop < kMaxRefHops; ++hop) {
      YAML::Node ref = Child(current, "$ref");
      if (!ref.IsDefined()) return current;
      if (!ref.IsScalar()) break;
      current.reset(Resolve(ref.Scalar()));
      if (!current.IsDefined()) break;
    }
    return YAML::Node(YAML::NodeType::Undefined);
  }

  std::vector<SpecOperation> ReadPaths(const YAML::Node& paths) {
    std::vector<SpecOperation> ops;
    for (const auto& kv : paths) {
      std::string path = ScalarOr(kv.first);
      std::string location = Join("paths", path);
      if (path.empty() || path[0] != '/') {
        Add(location, "a path must start with '/'", &kv.first);
        continue;
      }
      YAML::Node item = Deref(kv.second);
      if (!item.IsDefined() || !item.IsMap()) {
        if (item.IsDefined()) Add(location, "a path item must be a mapping", &kv.second);
        continue;
      }
      ReadPathItem(item, path, location, ops);
    }
    return ops;
  }

 private:
  void WalkMap(const YAML::Node& node, const std::string& location, int depth) {
    std::unordered_set<std::string> keys;
    for (const auto& kv : node) {
      std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
      std::string child = Join(location, key);
      if (!keys.insert(key).second) {
        Add(child, "duplicate key '" + key + "'", &kv.first);
      }
      if (key == "$ref") {
        CheckRef(kv.second, child);
      } else {
        Walk(kv.second, child, depth + 1);
      }
      if (over_budget_) return;
    }
  }

  // The node a local reference ("#/components/schemas/Pet") names, or undefined.
  YAML::Node Resolve(std::string_view ref) const {
    if (ref.empty() || ref[0] != '#') return YAML::Node(YAML::NodeType::Undefined);
    std::string_view pointer = ref.substr(1);
    YAML::Node current(root_);
    while (!pointer.empty()) {
      if (pointer[0] != '/') return YAML::Node(YAML::NodeType::Undefined);
      size_t end = pointer.find('/', 1);
      std::string token =
          DecodePointerToken(pointer.substr(1, end == pointer.npos ? end : end - 1));
      pointer = end == pointer.npos ? std::string_view() : pointer.substr(end);
      if (current.IsSequence()) {
        size_t index = 0;
        if (token.empty() || token.find_first_not_of("0123456789") != token.npos ||
            token.size() > 9 || (index = std::stoul(token)) >= current.size()) {
          return YAML::Node(YAML::NodeType::Undefined);
        }
        current.reset(current[index]);
      } else {
        current.reset(Child(current, token));
      }
      if (!current.IsDefined()) return current;
    }
    return current;
  }

  // Reports a $ref that is not a string, not local, names nothing, or loops through $refs only.
  void CheckRef(const YAML::Node& value, const std::string& location) {
    if (!value.IsScalar()) {
      Add(location, "$ref must be a string", &value);
      return;
    }
    std::string ref = value.Scalar();
    if (ref.empty() || ref[0] != '#') {
      Add(location, "$ref '" + ref + "' is not local: only '#/...' references are supported",
          &value);
      return;
    }
    std::vector<std::string> chain{ref};
    for (int hop = 0; hop < kMaxRefHops; ++hop) {
      YAML::Node target = Resolve(chain.back());
      if (!target.IsDefined()) {
        Add(location,
            "$ref '" + chain.back() + "' names nothing in the document" +
                (chain.size() > 1 ? " (reached through '" + ref + "')" : ""),
            &value);
        return;
      }
      YAML::Node next = Child(target, "$ref");
      if (!next.IsDefined() || !next.IsScalar() || next.Scalar().empty() ||
          next.Scalar()[0] != '#') {
        return;  // content, or a bad $ref that the walk reports where it is written
      }
      for (const std::string& seen : chain) {
        if (seen == next.Scalar()) {
          std::string circle;
          for (const std::string& r : chain) circle += r + " → ";
          Add(location, "circular $ref: " + circle + next.Scalar(), &value);
          return;
        }
      }
      chain.push_back(next.Scalar());
    }
    Add(location, "$ref chain longer than " + std::to_string(kMaxRefHops) + " hops", &value);
  }

  std::vector<SpecParameter> ReadParameters(const YAML::Node& list, const std::string& location) {
    std::vector<SpecParameter> out;
    if (!list.IsDefined() || list.IsNull()) return out;
    if (!list.IsSequence()) {
      Add(location, "parameters must be a list", &list);
      return out;
    }
    size_t i = 0;
    for (const YAML::Node& item : list) {
      std::string item_location = location + "[" + std::to_string(i++) + "]";
      YAML::Node p = Deref(item);
      if (!p.IsDefined()) continue;
      SpecParameter param{ScalarOr(Child(p, "name")), ScalarOr(Child(p, "in")),
                          ScalarOr(Child(p, "required")) == "true"};
      if (param.name.empty() || param.in.empty()) {
        Add(item_location, "a parameter needs 'name' and 'in'", &item);
        continue;
      }
      out.push_back(std::move(param));
    }
    return out;
  }

  // Operation-level parameters replace path-level ones with the same name and location.
  static void MergeParameters(std::vector<SpecParameter>& into, std::vector<SpecParameter> own) {
    for (SpecParameter& p : own) {
      auto same = [&](const SpecParameter& q) { return q.name == p.name && q.in == p.in; };
      std::erase_if(into, same);
      into.push_back(std::move(p));
    }
  }

  void ReadPathItem(const YAML::Node& item, const std::string& path, const std::string& location,
                    std::vector<SpecOperation>& ops) {
    std::vector<SpecParameter> shared =
        ReadParameters(Child(item, "parameters"), Join(location, "parameters"));
    for (const auto& kv : item) {
      std::string method = ScalarOr(kv.first);
      if (!IsMethod(method)) continue;  // summary, servers, x-..., and fields of later versions
      std::string op_location = Join(location, method);
      if (!kv.second.IsMap()) {
        Add(op_location, "an operation must be a mapping", &kv.second);
        continue;
      }
      SpecOperation op;
      op.method = method;
      for (char& c : op.method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      op.path = path;
      op.location = op_location;
      YAML::Node id = Child(kv.second, "operationId");
      op.operation_id = ScalarOr(id);
      if (id.IsDefined() && (!id.IsScalar() || op.operation_id.empty())) {
        Add(Join(op_location, "operationId"), "operationId must be a non-empty string", &id);
      }
      op.name = op.operation_id.empty() ? GeneratedOperationName(op.method, path) : op.operation_id;
      op.summary = ScalarOr(Child(kv.second, "summary"));
      op.description = ScalarOr(Child(kv.second, "description"));
      op.parameters = shared;
      MergeParameters(op.parameters, ReadParameters(Child(kv.second, "parameters"),
                                                    Join(op_location, "parameters")));
      ops.push_back(std::move(op));
    }
  }

  const YAML::Node root_;
  const SpecLimits limits_;
  std::vector<SpecProblem> problems_;
  size_t visited_ = 0;
  bool over_budget_ = false;
};

// Reports operationIds used twice, at the second use.
void CheckUniqueIds(const std::vector<SpecOperation>& ops, std::vector<SpecProblem>& problems) {
  for (size_t i = 0; i < ops.size(); ++i) {
    for (size_t j = 0; j < i && !ops[i].operation_id.empty(); ++j) {
      if (ops[j].operation_id == ops[i].operation_id) {
        problems.push_back(
            {ops[i].location + ".operationId",
             "operationId '" + ops[i].operation_id + "' is also used at " + ops[j].location});
        break;
      }
    }
  }
}

// "openapi" must be 3.0 or 3.1 (the point releases of each are compatible).
bool ReadHeader(const YAML::Node& root, SpecReader& reader, ApiSpec& spec) {
  YAML::Node version = Child(root, "openapi");
  if (!version.IsDefined()) {
    reader.Add("openapi", Child(root, "swagger").IsDefined()
                              ? "Swagger 2.0 is not supported: convert the spec to OpenAPI 3"
                              : "not an OpenAPI document: the 'openapi' field is missing");
    return false;
  }
  spec.openapi = ScalarOr(version);
  std::string_view v = spec.openapi;
  bool supported = v == "3.0" || v == "3.1" || v.starts_with("3.0.") || v.starts_with("3.1.");
  if (!supported) {
    reader.Add("openapi", "OpenAPI version '" + spec.openapi + "' is not supported (3.0 or 3.1)",
               &version);
    return false;
  }
  YAML::Node info = Child(root, "info");
  spec.title = ScalarOr(Child(info, "title"));
  spec.version = ScalarOr(Child(info, "version"));
  return true;
}

SpecParse ReadDocument(const YAML::Node& root, const SpecLimits& limits) {
  SpecParse result;
  SpecReader reader(root, limits);
  ApiSpec spec;
  if (!root.IsMap()) {
    reader.Add("spec", "the spec must be a YAML or JSON mapping (an OpenAPI document)", &root);
  } else if (ReadHeader(root, reader, spec)) {
    reader.Walk(root, "", 0);
    YAML::Node paths = Child(root, "paths");
    if (!paths.IsDefined() || !paths.IsMap() || paths.size() == 0) {
      reader.Add("paths", "the spec has no paths: nothing to import",
                 paths.IsDefined() ? &paths : nullptr);
    } else if (reader.problems().empty()) {
      spec.operations = reader.ReadPaths(paths);
      CheckUniqueIds(spec.operations, reader.problems());
      if (spec.operations.empty() && reader.problems().empty()) {
        reader.Add("paths", "the spec has no operations: nothing to import", &paths);
      } else if (spec.operations.size() > limits.max_operations) {
        reader.Add("paths", "more than " + std::to_string(limits.max_operations) + " operations");
      }
    }
  }
  result.problems = std::move(reader.problems());
  if (result.problems.empty()) {
    result.spec = std::move(spec);
  }
  return result;
}

// Counts the nodes of the first document without building it; throws TooManyNodes past limit.
class NodeCounter : public YAML::EventHandler {
 public:
  struct TooManyNodes {};
  explicit NodeCounter(size_t limit) : limit_(limit) {}
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override { Count(); }
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override { Count(); }
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {
    Count();
  }
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    Count();
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    Count();
  }
  void OnMapEnd() override {}

 private:
  void Count() {
    if (++count_ > limit_) throw TooManyNodes{};
  }
  const size_t limit_;
  size_t count_ = 0;
};

}  // namespace

SpecParse ParseOpenApi(std::string_view text, const SpecLimits& limits) {
  try {
    std::istringstream stream{std::string(text)};
    YAML::Parser parser(stream);
    NodeCounter counter(limits.max_parse_nodes);
    parser.HandleNextDocument(counter);
    YAML::Node root = YAML::Load(stream.str());
    return ReadDocument(root, limits);
  } catch (const NodeCounter::TooManyNodes&) {
    return {std::nullopt,
            {{"spec",
              "the spec has more than " + std::to_string(limits.max_parse_nodes) + " YAML nodes"}}};
  } catch (const YAML::DeepRecursion& e) {
    return {std::nullopt,
            {{"spec", "the spec is nested too deeply", e.mark.line + 1, e.mark.column + 1}}};
  } catch (const YAML::Exception& e) {
    SpecProblem p{"spec", "not valid YAML or JSON: " + e.msg};
    if (e.mark.line >= 0) {
      p.line = e.mark.line + 1;
      p.column = e.mark.column + 1;
    }
    return {std::nullopt, {std::move(p)}};
  }
}

std::string GeneratedOperationName(std::string_view method, std::string_view path) {
  std::string name;
  for (char c : method) name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  bool gap = true;
  for (char c : path) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      if (gap) name += '_';
      name += c;
      gap = false;
    } else {
      gap = true;
    }
  }
  return name.find('_') == name.npos ? name + "_root" : name;
}

std::string DescribeProblem(const SpecProblem& p) {
  std::string out = p.location;
  if (p.line > 0) {
    out += " (line " + std::to_string(p.line) + ", column " + std::to_string(p.column) + ")";
  }
  return out + ": " + p.message;
}

}  // namespace edgegate::admin
