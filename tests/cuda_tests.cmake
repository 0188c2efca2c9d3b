# The CUDA backend's test (only in builds that found nvcc): the shared op table
# against the reference backend, arena planning, support decisions, fallback
# under injected faults, the hand models against TFLite. Tests that need a GPU
# skip with "no CUDA device (...)" on machines without one (CI).
if(HANDTRACK_HAVE_CUDA)
  # xnnpack_tests.cmake defines the op table's library in builds with XNNPACK.
  if(NOT TARGET handtrack_op_cases)
    add_library(handtrack_op_cases STATIC ${CMAKE_CURRENT_LIST_DIR}/op_graph_builders.cc)
    target_include_directories(handtrack_op_cases PUBLIC ${CMAKE_CURRENT_LIST_DIR})
    target_link_libraries(handtrack_op_cases PUBLIC handtrack_base)
  endif()
  handtrack_add_gtest(cuda_backend_test ${CMAKE_CURRENT_LIST_DIR}/cuda_backend_test.cc)
  target_link_libraries(cuda_backend_test PRIVATE handtrack_op_cases handtrack_backend_cuda
                                                  handtrack_backend_reference handtrack_model)
endif()

if(HANDTRACK_HAVE_CUDA)
  # Not a test: a timing tool that needs only libhandtrack, for the GPU machine
  # (scripts/device/cuda_check.sh).
  add_executable(cuda_model_timing ${CMAKE_CURRENT_LIST_DIR}/cuda_model_timing.cc)
  target_link_libraries(cuda_model_timing PRIVATE handtrack)
endif()

if(HANDTRACK_HAVE_CUDA)
  # Not tests: `handtrack detect` for the GPU machine, which lacks the image
  # libraries. raw_image_pack (here) decodes photos to PPM with handtrack's own
  # decoders; cuda_image_detect (there, only libhandtrack) runs HandLandmarker
  # on them and writes the golden JSON schema (scripts/device/cuda_check.sh).
  add_executable(raw_image_pack ${CMAKE_CURRENT_LIST_DIR}/raw_image_pack.cc)
  target_link_libraries(raw_image_pack PRIVATE handtrack_io)
  add_executable(cuda_image_detect ${CMAKE_CURRENT_LIST_DIR}/cuda_image_detect.cc)
  target_link_libraries(cuda_image_detect PRIVATE handtrack)
endif()
