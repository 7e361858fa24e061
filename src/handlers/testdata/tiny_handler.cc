// A minimal handler library written against the C ABI only, for the registry tests.
#include "edgegate/abi.h"

namespace {

void Handle(const eg_host_api* host, eg_call* call, const eg_request*) {
  static const char kBody[] = "tiny";
  host->respond(call, 200, nullptr, 0, eg_str{kBody, sizeof kBody - 1});
}

const eg_handler_descriptor kDescriptor = {EG_ABI_VERSION, sizeof(eg_handler_descriptor),
                                           "test", &Handle};

}  // namespace

extern "C" __attribute__((visibility("default"))) const eg_handler_descriptor* handler_entry() {
  return &kDescriptor;
}
