# The CUDA backend's test (only in builds that found nvcc): large-batch kernels
# against the reference backend, segment layout, fusion, support decisions,
# fallback under injected faults, the hand models against TFLite. Tests that
# need a GPU skip with "no CUDA device (...)" on machines without one (CI). The
# op table runs in backend_op_test (op_tests.cmake, which defines
# handtrack_op_cases). Its own main() reads --cuda-setting KEY=VALUE
# (backend_settings_flag.h): no gtest_main.
if(HANDTRACK_HAVE_CUDA)
  add_executable(cuda_backend_test ${CMAKE_CURRENT_LIST_DIR}/cuda_backend_test.cc
                                   ${CMAKE_CURRENT_LIST_DIR}/device_sampling_check.cc)
  target_link_libraries(cuda_backend_test PRIVATE handtrack_test_support handtrack_op_cases
                                                  handtrack_backend_cuda handtrack_backend_reference
                                                  handtrack_vision handtrack_model GTest::gtest
                                                  CUDA::cudart_static)
  gtest_discover_tests(cuda_backend_test DISCOVERY_TIMEOUT 60 PROPERTIES ENVIRONMENT "${HANDTRACK_TEST_ENV}")
endif()

if(HANDTRACK_HAVE_CUDA)
  # Not a test: a timing tool that needs only libhandtrack, for the GPU machine
  # (scripts/device/cuda_check.sh).
  add_executable(cuda_model_timing ${CMAKE_CURRENT_LIST_DIR}/cuda_model_timing.cc)
  target_link_libraries(cuda_model_timing PRIVATE handtrack)
endif()

if(HANDTRACK_HAVE_CUDA AND TARGET handtrack_io)
  # Not tests: `handtrack detect` for the GPU machine, which lacks the image
  # libraries. raw_image_pack (here) decodes photos to PPM with handtrack's own
  # decoders; cuda_image_detect (there, only libhandtrack) runs HandLandmarker
  # on them and writes the golden JSON schema (scripts/device/cuda_check.sh).
  add_executable(raw_image_pack ${CMAKE_CURRENT_LIST_DIR}/raw_image_pack.cc)
  target_link_libraries(raw_image_pack PRIVATE handtrack_io)
  add_executable(cuda_image_detect ${CMAKE_CURRENT_LIST_DIR}/cuda_image_detect.cc)
  target_link_libraries(cuda_image_detect PRIVATE handtrack)
endif()

if(HANDTRACK_HAVE_CUDA AND TARGET handtrack_io)
  # HandLandmarker on cuda in VIDEO mode (palm detection alongside the tracked
  # hands' landmarks); skips without a GPU.
  add_executable(cuda_landmarker_test ${CMAKE_CURRENT_LIST_DIR}/cuda_landmarker_test.cc)
  target_link_libraries(cuda_landmarker_test PRIVATE handtrack_test_support handtrack handtrack_io GTest::gtest
                                                     GTest::gtest_main)
  gtest_discover_tests(cuda_landmarker_test DISCOVERY_TIMEOUT 60 PROPERTIES ENVIRONMENT "${HANDTRACK_TEST_ENV}")
endif()

if(HANDTRACK_HAVE_CUDA)
  # Several engines on GPUs: device selection, ListGpus, EnginePool take-over with two engines
  # on GPU 0 (docs/CUDA.md "Several GPUs"). Skips without a GPU; on the GPU machine it runs from
  # scripts/device/gpu_quick_check.sh with HANDTRACK_TEST_PPM set. Only libhandtrack and gtest.
  handtrack_add_gtest(cuda_multi_engine_test ${CMAKE_CURRENT_LIST_DIR}/cuda_multi_engine_test.cc)
endif()
