# The files storage backend (a local directory; OpenSSL for MD5 etags) and its test.
find_package(OpenSSL REQUIRED)
target_sources(edgegate_services PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/backends/files.cc)
target_link_libraries(edgegate_services PRIVATE OpenSSL::Crypto)
target_sources(services_test PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/backends/files_test.cc)
