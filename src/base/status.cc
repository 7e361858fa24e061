// HTTP mapping of status codes.
#include "base/status.h"

namespace edgegate::base {

int HttpStatusOf(Code code) {
  switch (code) {
    case Code::kOk: return 200;
    case Code::kInvalidArgument: return 400;
    case Code::kUnauthenticated: return 401;
    case Code::kPermissionDenied: return 403;
    case Code::kNotFound: return 404;
    case Code::kAlreadyExists:
    case Code::kFailedPrecondition: return 409;
    case Code::kTooLarge: return 413;
    case Code::kCompileFailed: return 422;
    case Code::kUnavailable: return 503;
    case Code::kDeadlineExceeded: return 504;
    case Code::kBackendError: return 502;
    case Code::kInternal: return 500;
  }
  return 500;
}

}  // namespace edgegate::base
