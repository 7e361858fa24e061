// Definition of http::Coroutine: the Asio stackful coroutine a request is served in. Include only
// where code needs to suspend (it brings in Boost.Asio's spawn header).
#pragma once

#include <boost/asio/spawn.hpp>

namespace edgegate::http {

struct Coroutine {
  boost::asio::yield_context yield;
};

}  // namespace edgegate::http
