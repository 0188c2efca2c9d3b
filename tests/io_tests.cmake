# Unit tests of src/io (image decoding, EXIF orientation, overlay drawing).
# Included from tests/CMakeLists.txt; paths are relative to this file.
# Only in builds with handtrack_io (-DHANDTRACK_BUILD_IO=ON, the default).
if(TARGET handtrack_io)
  find_package(GTest REQUIRED)
  find_package(PNG REQUIRED)
  include(GoogleTest)

  add_executable(image_io_test ${CMAKE_CURRENT_LIST_DIR}/image_io_test.cc)
  # The test makes its own good and bad files with libpng and TurboJPEG.
  target_include_directories(image_io_test PRIVATE ${TURBOJPEG_INCLUDE_DIR})
  target_link_libraries(image_io_test PRIVATE handtrack_io PNG::PNG ${TURBOJPEG_LIBRARY} GTest::gtest_main)
  # Label "sanitize": scripts/test.sh reruns these under ASan+UBSan.
  gtest_discover_tests(image_io_test DISCOVERY_MODE PRE_TEST PROPERTIES LABELS sanitize)
endif()
