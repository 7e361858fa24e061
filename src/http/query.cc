// Query component decoding with Boost.URL.
#include "http/query.h"

#include <boost/url/decode_view.hpp>
#include <boost/url/encoding_opts.hpp>
#include <boost/url/pct_string_view.hpp>

namespace edgegate::http {

bool DecodeQueryComponent(std::string_view encoded, std::string* out) {
  auto checked = boost::urls::make_pct_string_view(encoded);
  if (!checked) {
    return false;
  }
  boost::urls::encoding_opts opts;
  opts.space_as_plus = true;
  for (char c : boost::urls::decode_view(*checked, opts)) {
    out->push_back(c);
  }
  return true;
}

}  // namespace edgegate::http
