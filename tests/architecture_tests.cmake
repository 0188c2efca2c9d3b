# The engine's architecture (issue 8): the planner and the backend registry with scripted
# fake backends (segments, refusals, failures at compile and run, ping-pong avoidance,
# copies, an asynchronous backend), options instead of environment variables, and models
# loaded from memory. Needs only the core library. Included from tests/CMakeLists.txt.
if(NOT TARGET handtrack_op_cases)
  add_library(handtrack_op_cases STATIC ${CMAKE_CURRENT_LIST_DIR}/op_graph_builders.cc)
  target_include_directories(handtrack_op_cases PUBLIC ${CMAKE_CURRENT_LIST_DIR})
  target_link_libraries(handtrack_op_cases PUBLIC handtrack_base)
endif()
handtrack_add_gtest(planner_test ${CMAKE_CURRENT_LIST_DIR}/planner_test.cc)
target_link_libraries(planner_test PRIVATE handtrack_op_cases)
