// A handler that runs std::string's out-of-line operations on the request's path parameter
// "s" and answers their results, one per line. examples_test builds it with the runtime
// command: the SDK's PCH declares these members `extern template` (src/sdk/sdk_pch.hpp), so
// here they run in libstdc++.so, and the answers must be the standard ones.
#include <edgegate/sdk.hpp>
using namespace edgegate;

Response handle(Context&, const Request& req) {
  const std::string s(req.path_param("s").value_or("hello world"));
  std::string out;
  std::string t = s;
  t.replace(0, 5, "HELLO");  // _M_replace
  out += t + "\n";
  t.insert(0, 3, '>');  // _M_replace_aux
  out += t + "\n";
  t.erase(0, 2);  // _M_erase
  out += t + "\n";
  t.resize(4);
  t.resize(6, '.');  // resize(size_t, char)
  out += t + "\n";
  std::string u = s;
  u.reserve(64);          // reserve, _M_create
  u.append(s.data(), 5);  // _M_append
  std::string v;
  v = u;      // _M_assign
  v.swap(t);  // swap
  out += v + "|" + t + "\n";
  char copied[4] = {};
  s.copy(copied, 3, 6);
  out += std::string(copied, 3) + "\n";
  out += std::to_string(s.find("o", 0, 1)) + " " + std::to_string(s.find('w')) + " " +
         std::to_string(s.rfind("o", std::string::npos, 1)) + " " + std::to_string(s.rfind('l')) +
         "\n";
  out += std::to_string(s.find_first_of("wo", 0, 2)) + " " +
         std::to_string(s.find_last_of("wo", std::string::npos, 2)) + " " +
         std::to_string(s.find_first_not_of("hel", 0, 3)) + " " +
         std::to_string(s.find_first_not_of('h')) + " " +
         std::to_string(s.find_last_not_of("dl", std::string::npos, 2)) + " " +
         std::to_string(s.find_last_not_of('d')) + "\n";
  const std::string hello = "hello";
  out += std::to_string(s.compare("hello") > 0) + std::to_string(s.compare(0, 5, hello)) +
         std::to_string(s.compare(6, 5, s, 6, 5)) + std::to_string(s.compare(0, 5, "hello")) +
         std::to_string(s.compare(0, 5, "help", 3) > 0) + "\n";
  std::string w(s.c_str());  // _M_construct<const char*>
  std::string x(15, 'x');    // _M_construct(size_t, char)
  x.push_back('y');          // _M_mutate: grows past the 15 bytes kept inline
  out += w + x;
  return Response::text(200, out);
}
EDGEGATE_HANDLER(handle)
