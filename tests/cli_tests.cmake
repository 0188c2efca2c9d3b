# The `handtrack` command's bad-input tour (tests/cli_bad_input_test.sh), and unit tests of
# its option parsing (cli_options_test.cc).
# Included from tests/CMakeLists.txt; paths are relative to this file.
if(TARGET handtrack_cli)
  handtrack_add_gtest(cli_options_test ${CMAKE_CURRENT_LIST_DIR}/cli_options_test.cc)
  target_link_libraries(cli_options_test PRIVATE handtrack_cli_core)
  # TrackVideo with a video opened ahead (track_session.h).
  handtrack_add_gtest(track_session_test ${CMAKE_CURRENT_LIST_DIR}/track_session_test.cc)
  target_link_libraries(track_session_test PRIVATE handtrack_cli_core)
  add_test(NAME cli_bad_input
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/cli_bad_input_test.sh $<TARGET_FILE:handtrack_cli>)
  # Exit 77: skipped for want of ../shared or the models (never in CI, where it fails instead).
  # Label "sanitize": scripts/test.sh reruns it under ASan+UBSan.
  set_tests_properties(cli_bad_input PROPERTIES ENVIRONMENT "${HANDTRACK_TEST_ENV}" SKIP_RETURN_CODE 77
                       TIMEOUT 600 LABELS sanitize COST 300)
endif()
