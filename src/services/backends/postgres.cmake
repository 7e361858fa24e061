# PostgreSQL backend (libpq) and its integration tests against a real server.
pkg_check_modules(LIBPQ REQUIRED IMPORTED_TARGET libpq)
target_sources(edgegate_services PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/backends/postgres.cc)
target_link_libraries(edgegate_services PRIVATE PkgConfig::LIBPQ)
target_sources(services_test PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/backends/postgres_test.cc)
