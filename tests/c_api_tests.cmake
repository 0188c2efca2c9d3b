# The C API (bindings/c, include/handtrack/handtrack.h): c_api_test, a test written in C99 and
# compiled as C against libhandtrack.so, and c_api_exports, which checks what the library
# exports and its soname. Included from tests/CMakeLists.txt; paths are relative to this file.
if(TARGET handtrack_c)
  add_executable(c_api_test ${CMAKE_CURRENT_LIST_DIR}/c_api_test.c)
  set_target_properties(c_api_test PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
  target_compile_options(c_api_test PRIVATE -pedantic)
  target_compile_definitions(c_api_test PRIVATE HT_TEST_VERSION="${PROJECT_VERSION}"
                                                HT_TEST_SHARED_DIR="${HANDTRACK_SHARED_DIR}")
  target_link_libraries(c_api_test PRIVATE handtrack_c Threads::Threads m)
  # The shared photos are decoded with TurboJPEG, which builds with handtrack_io have (src/io
  # found it); the minimal core runs the other checks.
  if(TARGET handtrack_io)
    target_compile_definitions(c_api_test PRIVATE HT_TEST_WITH_TURBOJPEG=1)
    target_include_directories(c_api_test PRIVATE ${TURBOJPEG_INCLUDE_DIR})
    target_link_libraries(c_api_test PRIVATE ${TURBOJPEG_LIBRARY})
  endif()
  add_test(NAME c_api COMMAND c_api_test)
  # Exit 77: skipped for want of ../shared or the models (never in CI, where it fails instead).
  # Label "sanitize": scripts/test.sh runs it under ASan+UBSan.
  set_tests_properties(c_api PROPERTIES ENVIRONMENT "${HANDTRACK_TEST_ENV}" SKIP_RETURN_CODE 77
                       TIMEOUT 600 LABELS sanitize)

  add_test(NAME c_api_exports
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/c_api_exports_test.sh $<TARGET_FILE:handtrack_c>
                   ${PROJECT_VERSION_MAJOR})
endif()
