// Registers GET /api/endpoints/{id}/logs: a page of the endpoint's log buffer (telemetry/
// endpoint_log.h), or with ?follow=1 a live tail as Server-Sent Events, streamed through the
// connection (http/stream.h) from the request's coroutine: the tail suspends between entries and
// is woken by the log buffer (a post to the admin loop), so an open tail costs no thread.
#pragma once

#include <chrono>

#include "admin/routes.h"
#include "store/store.h"
#include "telemetry/endpoint_log.h"

namespace edgegate::admin {

struct LogRoutesOptions {
  std::chrono::milliseconds heartbeat{15'000};  // SSE comment line while nothing happens
  int max_tails = 64;                           // open follow=1 streams; beyond → 503
};

// GET /api/endpoints/{id}/logs?since=&limit=&follow= (scope endpoints:read). `store` and `logs`
// must outlive the routes.
void AddLogRoutes(AdminRoutes& routes, store::Store& store, telemetry::LogHub& logs,
                  LogRoutesOptions options = {});

}  // namespace edgegate::admin
