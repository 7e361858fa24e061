// The source of the SDK's precompiled header, pch/edgegate/sdk.hpp.gch: edgegate/sdk.hpp, plus
// work that every handler build would otherwise repeat (docs/sdk.md, "How a handler is built").
//
// The gateway's include path puts pch/ first, so `#include <edgegate/sdk.hpp>` in a handler
// loads this PCH. What it adds to sdk.hpp changes no behaviour:
//
// 1. Instantiations done once. In C++20 every member of std::basic_string is constexpr, hence
//    inline, and <string>'s own inline functions (the ""s literals, std::hash, to_string, ...)
//    use them for all five character types. GCC instantiates what those bodies use at the end
//    of each translation unit, and a PCH is written before that step, so a handler that
//    includes nothing but sdk.hpp instantiated about 400 functions: 0.13 s of a 0.3 s hello
//    build. The constant expressions below make GCC instantiate the common string operations
//    here, when the PCH is built. The only names added are in edgegate::detail::pch_warmup.
//
// 2. std::string's out-of-line members come from libstdc++.so. GCC 12's libstdc++ declares
//    its std::string instantiations `extern template` up to C++17 but not in C++20 (they lack
//    C++20's starts_with/ends_with), so every C++20 handler compiled and emitted its own copy
//    of _M_replace, _M_mutate, ... The declarations below restore that for the members the
//    library exports (GLIBCXX_3.4.21, the C++11 ABI string): they are still inlined where GCC
//    wants, and otherwise called in libstdc++.so, exactly as in C++17. Limited to the
//    libstdc++ release whose exports were checked; any other compiles without them.
#include <edgegate/sdk.hpp>

namespace edgegate::detail::pch_warmup {

template <typename S>
constexpr bool UseString() {
  using C = typename S::value_type;
  const C text[] = {C('a'), C('b'), C('c'), C(0)};
  S a(3, C('a'));         // "aaa"
  S b = a + a;            // 6
  b += a;                 // 9
  b.append(a.data(), 2);  // 11
  b.insert(0, a);         // 14
  b.replace(0, 1, a);     // 16
  b.resize(20);           // 20
  b.erase(1, 2);          // 18
  S c(b.begin(), b.end());
  c.assign(text);  // "abc"
  S d = std::move(c);
  d.reserve(100);
  d.push_back(C('x'));  // "abcx"
  return b.size() == 18 && d.size() == 4 && d.compare(a) > 0 && d.find(C('c')) == 2 &&
         b.find(a) == 0;
}

static_assert(UseString<std::string>());
static_assert(UseString<std::wstring>());
static_assert(UseString<std::u8string>());
static_assert(UseString<std::u16string>());
static_assert(UseString<std::u32string>());

}  // namespace edgegate::detail::pch_warmup

#if defined(_GLIBCXX_RELEASE) && _GLIBCXX_RELEASE == 12 && _GLIBCXX_USE_CXX11_ABI
// clang-format off
extern template void std::string::_M_construct<const char*>(const char*, const char*, std::forward_iterator_tag);
extern template void std::string::_M_construct<char*>(char*, char*, std::forward_iterator_tag);
extern template void std::string::_M_construct(std::size_t, char);
extern template char* std::string::_M_create(std::size_t&, std::size_t);
extern template void std::string::_M_dispose();
extern template void std::string::_M_assign(const std::string&);
extern template std::string& std::string::_M_append(const char*, std::size_t);
extern template std::string& std::string::_M_replace(std::size_t, std::size_t, const char*, std::size_t);
extern template std::string& std::string::_M_replace_aux(std::size_t, std::size_t, std::size_t, char);
extern template void std::string::_M_mutate(std::size_t, std::size_t, const char*, std::size_t);
extern template void std::string::_M_erase(std::size_t, std::size_t);
extern template void std::string::reserve(std::size_t);
extern template void std::string::resize(std::size_t, char);
extern template void std::string::swap(std::string&);
extern template std::size_t std::string::copy(char*, std::size_t, std::size_t) const;
extern template std::size_t std::string::find(const char*, std::size_t, std::size_t) const;
extern template std::size_t std::string::find(char, std::size_t) const;
extern template std::size_t std::string::rfind(const char*, std::size_t, std::size_t) const;
extern template std::size_t std::string::rfind(char, std::size_t) const;
extern template std::size_t std::string::find_first_of(const char*, std::size_t, std::size_t) const;
extern template std::size_t std::string::find_last_of(const char*, std::size_t, std::size_t) const;
extern template std::size_t std::string::find_first_not_of(const char*, std::size_t, std::size_t) const;
extern template std::size_t std::string::find_first_not_of(char, std::size_t) const;
extern template std::size_t std::string::find_last_not_of(const char*, std::size_t, std::size_t) const;
extern template std::size_t std::string::find_last_not_of(char, std::size_t) const;
extern template int std::string::compare(const char*) const;
extern template int std::string::compare(std::size_t, std::size_t, const std::string&) const;
extern template int std::string::compare(std::size_t, std::size_t, const std::string&, std::size_t, std::size_t) const;
extern template int std::string::compare(std::size_t, std::size_t, const char*) const;
extern template int std::string::compare(std::size_t, std::size_t, const char*, std::size_t) const;
// clang-format on
#endif
