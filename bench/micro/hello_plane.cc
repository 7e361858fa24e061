// Setting up the hello data plane: copy, load, activate, publish.
#include "hello_plane.h"

#include <filesystem>
#include <vector>

namespace edgegate::bench {
namespace {

namespace fs = std::filesystem;

constexpr char kEndpoint[] = "hello";

// The hello route and some neighbours, so the table is not a single path.
std::vector<handlers::RouteEntry> HelloRoutes(const std::shared_ptr<handlers::EndpointSlot>& slot) {
  return {
      {"*", "GET", "/hello/{name}", slot},
      {"*", "GET", "/health", slot},
      {"*", "POST", "/hello/{name}", slot},
      {"api.example.com", "GET", "/hello/{name}", slot},
      {"*.tenant.example.com", "GET", "/static/{*rest}", slot},
  };
}

}  // namespace

HelloPlane::HelloPlane() : temp_("edgegate-bench"), registry_(handlers::RegistryOptions{}) {}

base::Result<std::unique_ptr<HelloPlane>> HelloPlane::Create(const std::string& library_path) {
  std::unique_ptr<HelloPlane> hello(new HelloPlane());
  fs::path copy = hello->temp_.path() / "hello-v1.so";
  std::error_code error;
  if (!fs::copy_file(library_path, copy, error)) {
    return base::FailedPrecondition("cannot copy " + library_path + ": " + error.message());
  }
  ASSIGN_OR_RETURN(std::shared_ptr<handlers::HandlerVersion> version,
                   hello->registry_.Load(kEndpoint, 1, "bench", copy.string()));
  RETURN_IF_ERROR(hello->registry_.Activate(version).status());
  hello->slot_ = hello->registry_.Slot(kEndpoint);
  RETURN_IF_ERROR(hello->plane_.Publish(HelloRoutes(hello->slot_)));
  return hello;
}

base::Status HelloPlane::Republish(const std::vector<router::RouteSpec>& extra) {
  std::vector<handlers::RouteEntry> routes = HelloRoutes(slot_);
  for (const router::RouteSpec& spec : extra) {
    routes.push_back({spec.host, spec.method, spec.path, slot_});
  }
  return plane_.Publish(std::move(routes));
}

http::Request HelloRequest(std::string_view path) {
  static const http::Header kHeaders[] = {
      {"Host", "bench.example.com"},
      {"User-Agent", "wrk/4.1.0"},
      {"Accept", "*/*"},
      {"Connection", "keep-alive"},
  };
  http::Request request;
  request.method = "GET";
  request.target = path;
  request.path = path;
  request.host = "bench.example.com";
  request.headers = kHeaders;
  request.client_ip = "127.0.0.1";
  request.version = 11;
  request.coroutine = nullptr;
  return request;
}

}  // namespace edgegate::bench
