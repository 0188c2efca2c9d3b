# The shared op-case table (any backend's test can link it), and the XNNPACK
# backend's test: every op case against the reference backend (or, until that
# exists, naive loops), plus the four models against TFLite's own outputs.
add_library(handtrack_op_cases STATIC ${CMAKE_CURRENT_LIST_DIR}/op_graph_builders.cc)
target_include_directories(handtrack_op_cases PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(handtrack_op_cases PUBLIC handtrack_base)

if(HANDTRACK_HAVE_XNNPACK)
  handtrack_add_gtest(xnnpack_backend_test ${CMAKE_CURRENT_LIST_DIR}/xnnpack_backend_test.cc)
  target_link_libraries(xnnpack_backend_test PRIVATE handtrack_op_cases handtrack_backend_xnnpack)
  if(TARGET handtrack_backend_reference)
    target_link_libraries(xnnpack_backend_test PRIVATE handtrack_backend_reference)
    target_compile_definitions(xnnpack_backend_test PRIVATE HANDTRACK_TEST_WITH_REFERENCE)
  endif()
  if(TARGET handtrack_model)
    target_link_libraries(xnnpack_backend_test PRIVATE handtrack_model)
    target_compile_definitions(xnnpack_backend_test PRIVATE HANDTRACK_TEST_WITH_MODEL_READER)
  endif()
endif()
