# The op cases every backend test links (tests/op_graph_builders.h: the table; op_oracle.h: the
# reference backend or naive loops as the oracle; op_case_registry.h: cases registered at run time;
# backend_settings_flag.h: --cuda-setting), and backend_op_test: every backend of the registry that
# is built and available x every op case x every precision it honours, against the oracle. Included
# first from tests/CMakeLists.txt: xnnpack_tests.cmake and cuda_tests.cmake link handtrack_op_cases.
add_library(handtrack_op_cases STATIC
  ${CMAKE_CURRENT_LIST_DIR}/op_graph_builders.cc ${CMAKE_CURRENT_LIST_DIR}/op_oracle.cc
  ${CMAKE_CURRENT_LIST_DIR}/op_case_registry.cc ${CMAKE_CURRENT_LIST_DIR}/backend_settings_flag.cc)
target_include_directories(handtrack_op_cases PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(handtrack_op_cases PUBLIC handtrack_backend_reference handtrack_model handtrack_base)

# Its own main() generates the tests from the registries (and answers --support-matrix and
# --cuda-setting): no gtest_main. backend_op_test_fake.cc registers a fake backend and an op case
# from the test alone; arena_plan_test.cc tests the arena planner the backends share.
add_executable(backend_op_test ${CMAKE_CURRENT_LIST_DIR}/backend_op_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/backend_op_test_fake.cc ${CMAKE_CURRENT_LIST_DIR}/arena_plan_test.cc)
target_link_libraries(backend_op_test PRIVATE handtrack_op_cases handtrack GTest::gtest)
gtest_discover_tests(backend_op_test DISCOVERY_TIMEOUT 60 PROPERTIES ENVIRONMENT "${HANDTRACK_TEST_ENV}")
