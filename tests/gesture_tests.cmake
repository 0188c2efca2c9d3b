# Gestures, finger counting and pinch (issue 3): unit tests on synthetic hands, and
# the accuracy on the shared photos against the labels of ../shared/golden/gestures.json.
# Included from tests/CMakeLists.txt (uses its handtrack_add_gtest and HANDTRACK_TEST_ENV).
handtrack_add_gtest(gestures_test ${CMAKE_CURRENT_LIST_DIR}/gestures_test.cc)

if(TARGET handtrack_cli AND NOT HANDTRACK_SANITIZE)
  add_test(NAME gesture_accuracy
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/gesture_eval_test.sh $<TARGET_FILE:handtrack_cli>
                   ${PROJECT_SOURCE_DIR}/tools/gesture_eval.py)
  # Exit 77: skipped for want of ../shared or the models (never in CI, where it fails instead).
  set_tests_properties(gesture_accuracy PROPERTIES ENVIRONMENT "${HANDTRACK_TEST_ENV}" SKIP_RETURN_CODE 77
                       TIMEOUT 600)
endif()
