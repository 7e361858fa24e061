# The ftp backend (FTP, FTPS, SFTP through libcurl) and its integration test. curl_util.cc comes
# with s3.cmake.
find_package(CURL REQUIRED)
target_sources(edgegate_services PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/backends/ftp.cc)
target_link_libraries(edgegate_services PRIVATE CURL::libcurl)
target_sources(services_test PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/backends/ftp_test.cc)
