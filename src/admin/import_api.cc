// The import routes: request decoding (JSON body; ZIP as raw body or multipart part; query
// flags), parsing off the loop (specs and ZIPs are user input that costs CPU and recursion), the
// one-transaction import (admin/importer.h), then a bundle's compile and start per endpoint.
#include "admin/import_api.h"

#include <algorithm>

#include "admin/api.h"
#include "admin/importer.h"
#include "admin/multipart.h"
#include "base/strings.h"
#include "http/query.h"

namespace edgegate::admin {
namespace json = boost::json;

namespace {

constexpr FieldSpec kOpenApiFields[] = {
    {"spec", FieldType::kString, true},      {"domain", FieldType::kString},
    {"domain_id", FieldType::kString},       {"collection_id", FieldType::kString},
    {"create_collection", FieldType::kBool},
};
constexpr std::string_view kBundleQuery[] = {
    "domain", "domain_id", "collection_id", "create_collection", "compile", "start"};
constexpr size_t kMaxOutputBytes = 16 * 1024;  // compiler output kept per failed handler

json::object ProblemJson(const SpecProblem& p, const std::string& file) {
  json::object o{{"location", p.location}, {"message", p.message}};
  if (p.line > 0) {
    o["line"] = p.line;
    o["column"] = p.column;
  }
  if (!file.empty()) o["file"] = file;
  return o;
}

// 400 for an unusable spec: the first problem in the message, all of them in details.
Reply SpecErrors(const std::vector<SpecProblem>& problems, const std::string& file = "") {
  json::array list;
  for (const SpecProblem& p : problems) list.push_back(ProblemJson(p, file));
  json::object details{
      {"field", "spec"}, {"location", problems.front().location}, {"errors", std::move(list)}};
  return Error(400,
               "invalid OpenAPI spec" + (file.empty() ? "" : " " + file) + ": " +
                   DescribeProblem(problems.front()),
               std::move(details));
}

Reply BundleErrors(const std::vector<BundleProblem>& problems) {
  json::array list;
  for (const BundleProblem& p : problems) {
    list.push_back(json::object{{"entry", p.entry}, {"message", p.message}});
  }
  return Error(400,
               "invalid bundle: " + problems.front().entry + ": " + problems.front().message +
                   (problems.size() == 1 ? ""
                    : problems.size() == 2
                        ? " (and 1 more problem)"
                        : " (and " + std::to_string(problems.size() - 1) + " more problems)"),
               json::object{{"field", "bundle"}, {"errors", std::move(list)}});
}

Reply ImportErrors(const ImportReport& report) {
  size_t n = report.errors.size();
  std::string first(report.errors.front().as_object().at("message").as_string());
  return Error(report.http_status,
               "import failed (" + std::to_string(n) + (n == 1 ? " problem" : " problems") +
                   ", nothing was changed): " + first,
               json::object{{"errors", report.errors}});
}

json::object TargetJson(const ImportTarget& target) {
  return json::object{{"domain", target.domain},
                      {"collection_id", target.collection_id ? json::value(*target.collection_id)
                                                             : json::value(nullptr)},
                      {"collection_created", target.new_collection.has_value()}};
}

json::object SpecJson(const ApiSpec& spec) {
  return json::object{{"openapi", spec.openapi}, {"title", spec.title}, {"version", spec.version}};
}

// A bool query flag: true/1 or false/0. FieldError naming it otherwise.
base::Result<bool> Flag(const AdminCall& call, std::string_view name) {
  std::optional<std::string> v = call.query(name);
  if (!v) return false;
  if (*v == "true" || *v == "1") return true;
  if (*v == "false" || *v == "0") return false;
  return base::FieldError(std::string(name), std::string(name) + " must be true or false");
}

base::Status CheckQueryNames(const AdminCall& call) {
  base::Status status;
  http::ForEachQueryParam(call.request.query, [&](std::string_view raw, std::string_view) {
    std::string key;
    if (!status.ok() || !http::DecodeQueryComponent(raw, &key)) return;
    if (std::find(std::begin(kBundleQuery), std::end(kBundleQuery), key) ==
        std::end(kBundleQuery)) {
      status = base::FieldError(key, "unknown query parameter '" + key + "'");
    }
  });
  return status;
}

// The ZIP bytes of a bundle upload (views into the request body).
base::Result<std::string_view> BundleBytes(const AdminCall& call) {
  std::string_view type = call.header("content-type");
  std::string_view body = call.request.body;
  auto is = [&](std::string_view prefix) {
    return base::EqualsIgnoreCase(type.substr(0, prefix.size()), prefix);
  };
  if (is("multipart/form-data")) {
    ASSIGN_OR_RETURN(std::string boundary, MultipartBoundary(type));
    ASSIGN_OR_RETURN(std::vector<FormPart> parts, ParseMultipart(body, boundary));
    std::optional<std::string_view> zip;
    for (const FormPart& part : parts) {
      if (part.name != "file" && part.name != "bundle") continue;
      if (zip) return base::FieldError("file", "more than one bundle part ('file' or 'bundle')");
      zip = part.body;
    }
    if (!zip) return base::FieldError("file", "no form part named 'file' or 'bundle'");
    body = *zip;
  } else if (!is("application/zip") && !is("application/x-zip") &&
             !is("application/octet-stream")) {
    return base::Status(base::Code::kInvalidArgument,
                        "send the bundle as application/zip or multipart/form-data")
        .WithField("Content-Type");
  }
  if (body.empty()) return base::FieldError("bundle", "the bundle is empty");
  return body;
}

// Everything parsed from a bundle upload, off the loop.
struct BundleInput {
  BundleParse zip;
  SpecParse spec;
  std::vector<std::optional<size_t>> handler_of;  // per operation
  std::vector<BundleProblem> match_problems;
};

BundleInput ParseBundleInput(std::string_view bytes, const ImportApiOptions& options) {
  BundleInput in;
  in.zip = ReadBundle(bytes, options.bundle);
  if (!in.zip.bundle) return in;
  in.spec = ParseOpenApi(in.zip.bundle->spec.data, options.spec);
  if (!in.spec.spec) return in;
  std::vector<std::string> names;
  for (const SpecOperation& op : in.spec.spec->operations) names.push_back(op.name);
  in.handler_of = MatchHandlers(*in.zip.bundle, names, in.match_problems);
  return in;
}

std::string Truncated(std::string text) {
  if (text.size() > kMaxOutputBytes) {
    text.resize(kMaxOutputBytes);
    text += "\n[output truncated]";
  }
  return text;
}

class ImportRoutes {
 public:
  ImportRoutes(EndpointService& service, const ImportApiOptions& options)
      : service_(service), options_(options) {}

  Reply OpenApi(AdminCall& call) {
    auto body = ParseBody(call.request.body, kOpenApiFields);
    if (!body.ok()) return Error(body.status());
    std::string text = *GetString(*body, "spec");
    SpecParse parsed;
    call.offloader.Run([&] { parsed = ParseOpenApi(text, options_.spec); });
    if (!parsed.spec) return SpecErrors(parsed.problems);
    ImportScope scope{GetString(*body, "domain"),
                      GetString(*body, "domain_id"),
                      GetString(*body, "collection_id"),
                      GetBool(*body, "create_collection").value_or(false),
                      parsed.spec->title,
                      "Imported from the OpenAPI spec " + parsed.spec->title};
    auto target = ResolveTarget(service_.store(), scope);
    if (!target.ok()) return Error(target.status());
    std::vector<ImportItem> items;
    for (const SpecOperation& op : parsed.spec->operations) items.push_back({&op, {}, {}, {}});
    ImportReport report = RunImport(service_, *target, items);
    if (!report.errors.empty()) return ImportErrors(report);
    json::object data = ReportToJson(report);
    data["spec"] = SpecJson(*parsed.spec);
    for (auto& member : TargetJson(*target)) data[member.key()] = member.value();
    return Ok(std::move(data));
  }

  Reply Bundle(AdminCall& call) {
    base::Status names = CheckQueryNames(call);
    if (!names.ok()) return Error(names);
    base::Result<bool> compile = Flag(call, "compile"), start = Flag(call, "start"),
                       create = Flag(call, "create_collection");
    for (const auto* flag : {&compile, &start, &create}) {
      if (!flag->ok()) return Error(flag->status());
    }
    base::Result<std::string_view> bytes = BundleBytes(call);
    if (!bytes.ok()) return Error(bytes.status());
    BundleInput in;
    call.offloader.Run([&] { in = ParseBundleInput(*bytes, options_); });
    if (!in.zip.bundle) return BundleErrors(in.zip.problems);
    if (!in.spec.spec) return SpecErrors(in.spec.problems, in.zip.bundle->spec.entry);
    if (!in.match_problems.empty()) return BundleErrors(in.match_problems);
    const ::edgegate::admin::Bundle& bundle = *in.zip.bundle;
    const ApiSpec& spec = *in.spec.spec;
    ImportScope scope{
        call.query("domain"),
        call.query("domain_id"),
        call.query("collection_id"),
        *create,
        bundle.manifest && !bundle.manifest->name.empty() ? bundle.manifest->name : spec.title,
        bundle.manifest ? bundle.manifest->description : ""};
    auto target = ResolveTarget(service_.store(), scope);
    if (!target.ok()) return Error(target.status());
    std::vector<ImportItem> items = Items(bundle, spec, in.handler_of);
    ImportReport report = RunImport(service_, *target, items);
    if (!report.errors.empty()) return ImportErrors(report);
    json::object data = ReportToJson(report);
    data["spec"] = SpecJson(spec);
    data["bundle"] = BundleJson(bundle, in.handler_of);
    for (auto& member : TargetJson(*target)) data[member.key()] = member.value();
    return Deploy(call, report, *compile, *start, std::move(data));
  }

 private:
  static std::vector<ImportItem> Items(const ::edgegate::admin::Bundle& bundle, const ApiSpec& spec,
                                       const std::vector<std::optional<size_t>>& handler_of) {
    std::vector<ImportItem> items;
    for (size_t i = 0; i < spec.operations.size(); ++i) {
      ImportItem item{&spec.operations[i], {}, {}, {}};
      if (handler_of[i]) {
        const BundleFile& file = bundle.handlers[*handler_of[i]];
        item.code = file.data;
        item.handler_file = file.path;
        if (bundle.manifest) item.dependencies = bundle.manifest->dependencies;
      }
      items.push_back(std::move(item));
    }
    return items;
  }

  static json::object BundleJson(const ::edgegate::admin::Bundle& bundle,
                                 const std::vector<std::optional<size_t>>& handler_of) {
    size_t matched = 0;
    for (const auto& h : handler_of) matched += h.has_value();
    json::object o{{"spec_file", bundle.spec.entry}, {"handlers_matched", matched}};
    if (bundle.manifest) {
      o["name"] = bundle.manifest->name;
      o["version"] = bundle.manifest->version;
      json::array deps;
      for (const auto& d : bundle.manifest->dependencies) deps.emplace_back(d);
      o["dependencies"] = std::move(deps);
    }
    return o;
  }

  // After the commit: compile and/or start every imported endpoint; failures are per item.
  Reply Deploy(AdminCall& call, const ImportReport& report, bool compile, bool start,
               json::object data) {
    json::array compiled, started, errors;
    int status = 200;
    auto fail = [&](const ImportedEndpoint& e, const base::Status& s, json::object extra) {
      if (status == 200) status = base::HttpStatusOf(s.code());
      extra["id"] = e.id;
      extra["operation"] = e.item->operation->name;
      extra["message"] = s.message();
      errors.push_back(std::move(extra));
    };
    for (const ImportedEndpoint& e : report.endpoints) {
      std::optional<int64_t> version;
      if (compile) {
        auto built = service_.Compile(e.id, call.offloader);
        if (!built.ok()) {
          fail(e, built.status(), {});
          continue;
        }
        if (!built->build.success) {
          fail(e, built->build.status(),
               {{"diagnostics", DiagnosticsToJson(built->build.diagnostics)},
                {"output", Truncated(built->build.output)},
                {"timed_out", built->build.timed_out}});
          continue;
        }
        version = built->version.version;
        compiled.push_back(json::object{{"id", e.id},
                                        {"name", e.item->operation->name},
                                        {"version", *version},
                                        {"cached", built->build.cached || built->reused}});
      }
      if (start) {
        auto s = version ? service_.Activate(e.id, *version) : service_.Start(e.id);
        if (!s.ok()) {
          fail(e, s.status(), {});
          continue;
        }
        started.push_back(
            json::object{{"id", e.id}, {"name", e.item->operation->name}, {"version", s->version}});
      }
    }
    json::object& counts = data["counts"].as_object();
    counts["compiled"] = compiled.size();
    counts["started"] = started.size();
    counts["errors"] = errors.size();
    counts["matched"] = data["bundle"].as_object()["handlers_matched"];
    data["compiled"] = std::move(compiled);
    data["started"] = std::move(started);
    data["errors"] = errors;
    if (errors.empty()) return Ok(std::move(data));
    // The endpoints are committed: the error says so, and details carry the whole report.
    return Error(status,
                 std::to_string(errors.size()) + " endpoint(s) imported but not deployed: " +
                     std::string(errors.front().as_object().at("message").as_string()),
                 std::move(data));
  }

  EndpointService& service_;
  const ImportApiOptions options_;
};

}  // namespace

void AddImportRoutes(AdminRoutes& routes, EndpointService& service,
                     const ImportApiOptions& options) {
  auto r = std::make_shared<ImportRoutes>(service, options);
  routes.Add("POST", "/api/import/openapi", "import:write",
             [r](AdminCall& call) { return r->OpenApi(call); });
  routes.Add("POST", "/api/import/bundle", "import:write",
             [r](AdminCall& call) { return r->Bundle(call); });
}

}  // namespace edgegate::admin
