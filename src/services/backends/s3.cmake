# The s3 storage backend: libcurl (SigV4 signing), OpenSSL (presigned URLs), libxml2 (S3's XML).
# curl_util.cc is shared with the email and ftp backends, whose .cmake files rely on this one for it.
find_package(CURL REQUIRED)
find_package(OpenSSL REQUIRED)
pkg_check_modules(LIBXML2 REQUIRED IMPORTED_TARGET libxml-2.0)
target_sources(edgegate_services PRIVATE
  ${CMAKE_CURRENT_SOURCE_DIR}/backends/curl_util.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/backends/s3.cc)
target_link_libraries(edgegate_services PRIVATE CURL::libcurl OpenSSL::Crypto PkgConfig::LIBXML2)
target_sources(services_test PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/backends/s3_test.cc)
target_link_libraries(services_test PRIVATE CURL::libcurl)
