/* The handler ABI: the only thing that crosses between the gateway and a handler library.
 *
 * Plain C so that a handler built by any C++ compiler or standard library works with the
 * gateway: pointer + length views, opaque handles and function tables, each struct versioned by
 * EG_ABI_VERSION and its own size. No std:: type and no exception crosses this boundary.
 *
 * A handler library exports `handler_entry` (C linkage, default visibility). The gateway calls it
 * once after dlopen and checks the descriptor's abi_version and struct_size; then, per request, it
 * calls `handle` on the connection's I/O loop. All views passed to `handle` are valid only until
 * `handle` returns. The handler answers by calling `host->respond` exactly once; a handler that
 * returns without responding is answered with 500 by the gateway.
 *
 * Changing any struct below bumps EG_ABI_VERSION (see docs/sdk.md).
 */
#ifndef EDGEGATE_ABI_H_
#define EDGEGATE_ABI_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EG_ABI_VERSION 1u

/* A borrowed byte view; not NUL-terminated. */
typedef struct eg_str {
  const char* data;
  size_t size;
} eg_str;

/* A borrowed name/value pair (header, path parameter, query parameter). */
typedef struct eg_pair {
  eg_str name;
  eg_str value;
} eg_pair;

/* One request, as views into the gateway's buffers. Header names keep the client's case;
 * repeated headers appear once per occurrence, in order. Path params are percent-decoded. */
typedef struct eg_request {
  uint32_t struct_size;
  eg_str method;      /* "GET", "POST", ... (HEAD is served by GET handlers: method says HEAD) */
  eg_str target;      /* raw request target: path and query as sent */
  eg_str path;        /* raw path, without the query string */
  eg_str raw_query;   /* raw query string without '?', may be empty */
  eg_str host;        /* Host header, port stripped, lower-case */
  eg_str body;        /* body bytes, binary safe (chunked bodies are de-chunked) */
  eg_str client_ip;   /* peer address */
  eg_str request_id;  /* unique per request, also in gateway logs */
  eg_str endpoint_id; /* the endpoint this handler serves */
  const eg_pair* headers;
  size_t header_count;
  const eg_pair* path_params;
  size_t path_param_count;
} eg_request;

/* Opaque gateway state of one call; passed back to every host function. */
typedef struct eg_call eg_call;

/* Receives the events of a JSON document parsed by the gateway (see eg_host_api.json_parse).
 * Strings and keys are complete and unescaped when delivered. */
typedef struct eg_json_sink {
  void* self;
  void (*on_null)(void* self);
  void (*on_bool)(void* self, int value);
  void (*on_int)(void* self, int64_t value);
  void (*on_double)(void* self, double value);
  void (*on_string)(void* self, eg_str value);
  void (*on_key)(void* self, eg_str key);
  void (*begin_array)(void* self);
  void (*end_array)(void* self);
  void (*begin_object)(void* self);
  void (*end_object)(void* self);
} eg_json_sink;

enum eg_log_level { EG_LOG_DEBUG = 0, EG_LOG_INFO = 1, EG_LOG_WARN = 2, EG_LOG_ERROR = 3 };

/* Functions the gateway offers to a handler. Valid for the lifetime of the loaded library. */
typedef struct eg_host_api {
  uint32_t abi_version;
  uint32_t struct_size;
  /* Decoded query parameters of the call, in order, repeated keys kept. Parsed on first use;
   * the array lives until the call ends. */
  const eg_pair* (*query_params)(eg_call* call, size_t* count);
  /* Parses `text` as JSON and feeds `sink`. Returns 1 on success; 0 on malformed input, with a
   * message in *error (valid until the call ends). */
  int (*json_parse)(eg_call* call, eg_str text, const eg_json_sink* sink, eg_str* error);
  /* Appends a line to the endpoint's log, tagged with the request id. */
  void (*log)(eg_call* call, int level, eg_str message);
  /* Sets the response. The gateway copies everything before returning. Content-Length and Date
   * are the gateway's; handlers' values for those are ignored. Calling it again replaces the
   * previous response. */
  void (*respond)(eg_call* call, int status, const eg_pair* headers, size_t header_count,
                  eg_str body);
} eg_host_api;

/* What `handler_entry` returns: a static descriptor owned by the library. */
typedef struct eg_handler_descriptor {
  uint32_t abi_version; /* EG_ABI_VERSION the library was built against */
  uint32_t struct_size; /* sizeof(eg_handler_descriptor) */
  const char* sdk_version;
  void (*handle)(const eg_host_api* host, eg_call* call, const eg_request* request);
} eg_handler_descriptor;

typedef const eg_handler_descriptor* (*eg_handler_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* EDGEGATE_ABI_H_ */
