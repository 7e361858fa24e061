# MySQL / MariaDB backend (MariaDB Connector/C) and its integration tests against a real server.
pkg_check_modules(LIBMARIADB REQUIRED IMPORTED_TARGET libmariadb)
target_sources(edgegate_services PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/backends/mysql.cc)
target_link_libraries(edgegate_services PRIVATE PkgConfig::LIBMARIADB)
target_sources(services_test PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/backends/mysql_test.cc)
