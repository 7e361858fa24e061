// OpenAPI 3.0 / 3.1 documents (YAML or JSON text) → the operations an import turns into
// endpoints. The text is parsed by yaml-cpp (JSON is a subset of YAML 1.2); no yaml-cpp type or
// exception leaves this module's .cc. Every local `$ref` in the document is checked (a missing,
// external or purely circular one is a problem with its location), and the `$ref`s an operation
// depends on (path items, parameters) are resolved. A recursive schema (a property referring back
// to its own schema) is valid OpenAPI and is accepted: nothing here inlines schemas.
//
// Work is bounded: a streaming pass counts the nodes before the tree is built (memory), yaml-cpp
// refuses deep nesting, and the walk counts the nodes it visits (YAML aliases can make a small
// text a huge tree), so a hostile spec costs bounded memory and time. Parsing
// recurses: run it on a thread with a normal stack (the admin Offloader's pool), never on a
// request's coroutine stack.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace edgegate::admin {

// One thing wrong with a spec. `location` is a dotted path into the document
// ("paths./pets.get.responses.200.$ref", "[i]" for array items; "spec" for the text as a whole);
// line and column are 1-based positions in the text, 0 when unknown.
struct SpecProblem {
  std::string location;
  std::string message;
  int line = 0;
  int column = 0;
};

struct SpecParameter {
  std::string name;
  std::string in;  // "path", "query", "header" or "cookie"
  bool required = false;
};

struct SpecOperation {
  std::string operation_id;  // may be empty
  std::string name;          // operation_id, or GeneratedOperationName(method, path)
  std::string method;        // upper case: "GET", "POST", ...
  std::string path;          // as written in the spec: "/pets/{petId}"
  std::string summary;
  std::string description;
  std::vector<SpecParameter> parameters;  // path-level then operation-level, $refs resolved
  std::string location;                   // "paths./pets.get"
};

struct ApiSpec {
  std::string openapi;                    // the document's "openapi" field: "3.0.3", "3.1.0"
  std::string title;                      // info.title
  std::string version;                    // info.version
  std::vector<SpecOperation> operations;  // in document order
};

struct SpecLimits {
  // YAML nodes in the text, counted by a streaming pass before the tree is built: yaml-cpp's
  // tree costs about 450 bytes a node, so this bounds memory (~225 MB) whatever the text.
  size_t max_parse_nodes = 500'000;
  size_t max_nodes = 2'000'000;  // YAML nodes visited while checking (aliases count each time)
  int max_depth = 256;           // nesting the walk follows
  size_t max_operations = 2000;  // operations in one spec
};

// The spec, or every problem found (never both empty).
struct SpecParse {
  std::optional<ApiSpec> spec;
  std::vector<SpecProblem> problems;
};

// Parses and checks `text`. Problems: not YAML/JSON (location "spec", with the parser's line and
// column), not a mapping, "openapi" missing or not 3.0.x / 3.1.x, no "paths" or no operation,
// a `$ref` that is not a string, not local ("other.yaml#/..."), names nothing, or leads only to
// other `$ref`s in a circle; duplicate or empty operationIds; a spec over `limits`.
// Thread-safe (no shared state).
SpecParse ParseOpenApi(std::string_view text, const SpecLimits& limits = {});

// A name for an operation without operationId: method and path, lower-case method, every run of
// characters other than [A-Za-z0-9] as one '_': ("GET", "/pets/{petId}") → "get_pets_petId".
std::string GeneratedOperationName(std::string_view method, std::string_view path);

// "paths./pets.get (line 12, column 5): message" — the one-line form of a problem.
std::string DescribeProblem(const SpecProblem& problem);

}  // namespace edgegate::admin
