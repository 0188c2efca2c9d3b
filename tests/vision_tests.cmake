# Unit tests of src/vision (samplers, anchors, palm decoding, regions, landmarks).
# Included from tests/CMakeLists.txt; paths are relative to this file. Links the
# vision layer alone, so it builds before the rest of the library exists.
find_package(GTest REQUIRED)
include(GoogleTest)

get_filename_component(HANDTRACK_VISION_SHARED_DIR "${PROJECT_SOURCE_DIR}/../shared" ABSOLUTE)
add_executable(vision_test ${CMAKE_CURRENT_LIST_DIR}/vision_test.cc)
target_link_libraries(vision_test PRIVATE handtrack_vision GTest::gtest_main)
target_compile_definitions(vision_test PRIVATE HANDTRACK_SHARED_DIR="${HANDTRACK_VISION_SHARED_DIR}")
# Label "sanitize": scripts/test.sh reruns these under ASan+UBSan.
gtest_discover_tests(vision_test DISCOVERY_MODE PRE_TEST PROPERTIES LABELS "vision;sanitize")
