# The SMTP email backend (libcurl) and its integration test. mime.cc comes with outbox.cmake;
# curl_util.cc with s3.cmake.
find_package(CURL REQUIRED)
target_sources(edgegate_services PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/backends/email.cc)
target_link_libraries(edgegate_services PRIVATE CURL::libcurl)
target_sources(services_test PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/backends/email_test.cc)
