# The embedded email backend (outbox.cc) and the MIME builder it shares with email.cc.
target_sources(edgegate_services PRIVATE
  ${CMAKE_CURRENT_SOURCE_DIR}/backends/mime.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/backends/outbox.cc)
target_sources(services_test PRIVATE
  ${CMAKE_CURRENT_SOURCE_DIR}/backends/mime_test.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/backends/outbox_test.cc)
