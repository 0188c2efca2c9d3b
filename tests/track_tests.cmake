# `handtrack track` on the shared videos: One-Euro smoothing (jitter and lag bounds),
# hand ids (no swaps), and a tour of bad input; its decode-ahead queue (FramePrefetcher) on a
# fake reader. Included from tests/CMakeLists.txt; paths are relative to this file. Exit 77: skipped for want of ../shared or the models
# (never in CI, where the scripts fail instead).
if(TARGET handtrack_cli)
  handtrack_add_gtest(frame_prefetcher_test ${CMAKE_CURRENT_LIST_DIR}/frame_prefetcher_test.cc)
  target_link_libraries(frame_prefetcher_test PRIVATE handtrack_cli_core)
  # Measurements of results, as the golden tests: not rerun under the sanitizers.
  if(NOT HANDTRACK_SANITIZE)
    add_test(NAME track_smoothing
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/smoothing_check_test.sh $<TARGET_FILE:handtrack_cli>)
    add_test(NAME track_id_swaps
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/id_swap_test.sh $<TARGET_FILE:handtrack_cli>)
    set_tests_properties(track_smoothing track_id_swaps PROPERTIES
                         ENVIRONMENT "${HANDTRACK_TEST_ENV}" SKIP_RETURN_CODE 77 TIMEOUT 900)
    set_tests_properties(track_smoothing PROPERTIES COST 400)  # 40 s in CI: started early
  endif()
  # Untrusted input: label "sanitize", so scripts/test.sh reruns it under ASan+UBSan.
  add_test(NAME track_bad_input
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/track_bad_input_test.sh $<TARGET_FILE:handtrack_cli>)
  # COST: among the longest tests (80 s under ASan), so ctest -j starts it first.
  set_tests_properties(track_bad_input PROPERTIES ENVIRONMENT "${HANDTRACK_TEST_ENV}" SKIP_RETURN_CODE 77
                       TIMEOUT 600 LABELS sanitize COST 900)
endif()
