# The Redis cache backend (hiredis) and its integration test.
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis)
target_sources(edgegate_services PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/backends/redis.cc)
target_link_libraries(edgegate_services PRIVATE PkgConfig::HIREDIS)
target_sources(services_test PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/backends/redis_test.cc)
target_link_libraries(services_test PRIVATE PkgConfig::HIREDIS)
