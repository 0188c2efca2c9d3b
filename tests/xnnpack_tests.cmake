# The XNNPACK backend's own test: support decisions, errors, multi-node and
# concurrent segments, the four models against TFLite's own outputs. Its op
# cases run in backend_op_test (op_tests.cmake, which defines handtrack_op_cases).
if(HANDTRACK_HAVE_XNNPACK)
  handtrack_add_gtest(xnnpack_backend_test ${CMAKE_CURRENT_LIST_DIR}/xnnpack_backend_test.cc)
  target_link_libraries(xnnpack_backend_test PRIVATE handtrack_op_cases handtrack_backend_xnnpack)
  if(TARGET handtrack_model)
    target_link_libraries(xnnpack_backend_test PRIVATE handtrack_model)
    target_compile_definitions(xnnpack_backend_test PRIVATE HANDTRACK_TEST_WITH_MODEL_READER)
  endif()
endif()
