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

#define EG_ABI_VERSION 2u /* 2: eg_host_api.service_call appended (v1 libraries still load) */

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

/* ---- Service calls (ABI 2) ---- */

/* Which accessor a call comes through: ctx.db / cache / storage / email / ftp. */
enum eg_service_kind {
  EG_SERVICE_DATABASE = 0,
  EG_SERVICE_CACHE = 1,
  EG_SERVICE_STORAGE = 2,
  EG_SERVICE_EMAIL = 3,
  EG_SERVICE_FTP = 4
};

/* One argument of a service call. `string` holds bytes (binary safe) for EG_VALUE_STRING and a
 * JSON document's text for EG_VALUE_JSON (objects and arrays, e.g. an email message). */
enum eg_value_type {
  EG_VALUE_NULL = 0,
  EG_VALUE_BOOL = 1,
  EG_VALUE_INT = 2,
  EG_VALUE_DOUBLE = 3,
  EG_VALUE_STRING = 4,
  EG_VALUE_JSON = 5
};
typedef struct eg_value {
  int32_t type; /* eg_value_type */
  int32_t boolean;
  int64_t integer;
  double number;
  eg_str string;
} eg_value;

/* The outcome of service_call. */
enum eg_service_status {
  EG_SERVICE_OK = 0,
  EG_SERVICE_NOT_FOUND = 1,   /* not bound to the endpoint, unknown, or another kind */
  EG_SERVICE_NOT_ACTIVE = 2,  /* bound but not activated */
  EG_SERVICE_BUSY = 3,        /* the actor's inbox stayed full */
  EG_SERVICE_UNAVAILABLE = 4, /* the backend is unreachable or the service is stopping */
  EG_SERVICE_TIMEOUT = 5,     /* no reply within the service's timeout */
  EG_SERVICE_BACKEND = 6,     /* the backend answered with an error */
  EG_SERVICE_INVALID = 7      /* wrong arguments for the operation */
};

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
  /* ABI 2 (check struct_size before use). Calls operation `op` of the service the endpoint
   * reaches as `name` (a binding's pool_id, or a bound service's name) through accessor `kind`.
   * `tx` is 0, or a transaction id returned by a "begin" call. Suspends only the calling
   * request (never the loop) until the reply or the service's timeout. Returns EG_SERVICE_OK and
   * feeds the result (a JSON value; strings are byte strings) to `result`, or another
   * eg_service_status with a message in *error (valid until the call ends). */
  int (*service_call)(eg_call* call, int kind, eg_str name, eg_str op, int64_t tx,
                      const eg_value* args, size_t arg_count, const eg_json_sink* result,
                      eg_str* error);
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
