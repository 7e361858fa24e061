// Text formatting for the client commands; see output.h.
#include "cli/output.h"

#include <algorithm>
#include <optional>

namespace edgegate::cli {
namespace {

namespace json = boost::json;

const json::value kNull;
constexpr std::string_view kUploadedFileName = "handler.cpp";

void AppendIndent(std::string& out, int depth) { out.append(static_cast<size_t>(depth) * 2, ' '); }

void AppendPretty(std::string& out, const json::value& v, int depth) {
  if (const json::object* o = v.if_object(); o != nullptr && !o->empty()) {
    out += "{\n";
    size_t i = 0;
    for (const auto& member : *o) {
      AppendIndent(out, depth + 1);
      out += json::serialize(json::value(member.key())) + ": ";
      AppendPretty(out, member.value(), depth + 1);
      out += ++i < o->size() ? ",\n" : "\n";
    }
    AppendIndent(out, depth);
    out += "}";
  } else if (const json::array* a = v.if_array(); a != nullptr && !a->empty()) {
    out += "[\n";
    for (size_t i = 0; i < a->size(); ++i) {
      AppendIndent(out, depth + 1);
      AppendPretty(out, (*a)[i], depth + 1);
      out += i + 1 < a->size() ? ",\n" : "\n";
    }
    AppendIndent(out, depth);
    out += "]";
  } else {
    out += json::serialize(v);
  }
}

// Line `number` (1-based) of `source` without its newline, or nullopt past the end.
std::optional<std::string_view> SourceLine(std::string_view source, int64_t number) {
  for (int64_t n = 1; n <= number; ++n) {
    size_t end = source.find('\n');
    if (n == number) {
      return source.substr(0, end);
    }
    if (end == std::string_view::npos) {
      return std::nullopt;
    }
    source.remove_prefix(end + 1);
  }
  return std::nullopt;
}

int64_t IntOf(const json::value& v) { return v.is_int64() ? v.get_int64() : 0; }

// The GCC-style excerpt: "  LINE | text" and "       |   ^" (tabs kept so the caret lines up).
std::string Excerpt(std::string_view text, int64_t line, int64_t column) {
  std::string number = std::to_string(line);
  std::string gutter(std::max<size_t>(number.size(), 4), ' ');
  std::string out = gutter.substr(number.size()) + number + " | " + std::string(text) + "\n";
  if (column >= 1) {
    std::string pad;
    for (size_t i = 0; i + 1 < static_cast<size_t>(column) && i < text.size(); ++i) {
      pad += text[i] == '\t' ? '\t' : ' ';
    }
    out += gutter + " | " + pad + "^\n";
  }
  return out;
}

std::string FormatDiagnostic(const json::value& d, std::string_view display_path,
                             std::string_view source) {
  std::string file = Cell(Member(d, "file"));
  int64_t line = IntOf(Member(d, "line"));
  int64_t column = IntOf(Member(d, "column"));
  bool uploaded = file == kUploadedFileName;
  std::string out = uploaded ? std::string(display_path) : file;
  if (line > 0) {
    out += ":" + std::to_string(line);
    if (column > 0) {
      out += ":" + std::to_string(column);
    }
  }
  out += ": " + Cell(Member(d, "severity")) + ": " + Cell(Member(d, "message")) + "\n";
  if (uploaded && line > 0) {
    if (auto text = SourceLine(source, line)) {
      out += Excerpt(*text, line, column);
    }
  }
  return out;
}

}  // namespace

const json::value& Member(const json::value& v, std::string_view name) {
  const json::object* o = v.if_object();
  if (o == nullptr) {
    return kNull;
  }
  auto it = o->find(name);
  return it == o->end() ? kNull : it->value();
}

std::string Cell(const json::value& v) {
  if (const json::string* s = v.if_string()) {
    return std::string(*s);
  }
  return v.is_null() ? "-" : json::serialize(v);
}

std::string FormatTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(header.size());
  for (size_t c = 0; c < header.size(); ++c) {
    width[c] = header[c].size();
    for (const auto& row : rows) {
      width[c] = std::max(width[c], c < row.size() ? row[c].size() : 0);
    }
  }
  auto append_row = [&](std::string& out, const std::vector<std::string>& row) {
    std::string line;
    for (size_t c = 0; c < header.size(); ++c) {
      std::string cell = c < row.size() ? row[c] : "";
      line += cell + (c + 1 < header.size() ? std::string(width[c] - cell.size() + 2, ' ') : "");
    }
    line.erase(line.find_last_not_of(' ') + 1);
    out += line + "\n";
  };
  std::string out;
  append_row(out, header);
  for (const auto& row : rows) {
    append_row(out, row);
  }
  return out;
}

std::string PrettyJson(const json::value& v) {
  std::string out;
  AppendPretty(out, v, 0);
  return out + "\n";
}

std::string FormatKeyValues(const json::value& object, std::string_view prefix) {
  std::string out;
  const json::object* o = object.if_object();
  if (o == nullptr) {
    return out;
  }
  for (const auto& member : *o) {
    std::string key = std::string(prefix) + std::string(member.key());
    if (member.value().is_object()) {
      out += FormatKeyValues(member.value(), key + ".");
    } else {
      out += key + ": " + Cell(member.value()) + "\n";
    }
  }
  return out;
}

std::string FormatDiagnostics(const json::value& details, std::string_view display_path,
                              std::string_view source) {
  std::string out;
  if (const json::array* list = Member(details, "diagnostics").if_array()) {
    for (const json::value& d : *list) {
      out += FormatDiagnostic(d, display_path, source);
    }
  }
  if (out.empty()) {
    out = Cell(Member(details, "output"));
    if (out == "-") {
      out.clear();
    }
    if (!out.empty() && out.back() != '\n') {
      out += "\n";
    }
  }
  if (const json::value& t = Member(details, "timed_out"); t.is_bool() && t.get_bool()) {
    out += std::string(display_path) + ": error: the compile timed out\n";
  }
  return out;
}

}  // namespace edgegate::cli
