# The Memcached cache backend (libmemcached) and its integration test.
pkg_check_modules(LIBMEMCACHED REQUIRED IMPORTED_TARGET libmemcached)
target_sources(edgegate_services PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/backends/memcached.cc)
target_link_libraries(edgegate_services PRIVATE PkgConfig::LIBMEMCACHED)
target_sources(services_test PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/backends/memcached_test.cc)
