# Emscripten builds (scripts/build_web.sh): the tests that matter for the browser module, run
# under node. GoogleTest comes from Debian's googletest source package, compiled with emcc.
# backend_op_test: every op case on the wasm backend against the reference (and the contract
# checks); golden_tensors_test: the four models on wasm against TFLite's own tensors.
# NODERAWFS gives the tests the real file system (models, ../shared); wasm_test_env.js hands
# them node's environment (HANDTRACK_MODELS, HOME, CI, HANDTRACK_SHARED).
set(HANDTRACK_GTEST_SOURCE /usr/src/googletest CACHE PATH "GoogleTest's sources (Debian: googletest)")
if(NOT EXISTS ${HANDTRACK_GTEST_SOURCE}/CMakeLists.txt)
  message(FATAL_ERROR "handtrack: the wasm tests need GoogleTest's sources in ${HANDTRACK_GTEST_SOURCE} "
                      "(Debian: apt-get install googletest)")
endif()
set(INSTALL_GTEST OFF CACHE BOOL "" FORCE)
set(BUILD_GMOCK OFF CACHE BOOL "" FORCE)
add_subdirectory(${HANDTRACK_GTEST_SOURCE} ${CMAKE_BINARY_DIR}/googletest EXCLUDE_FROM_ALL)

get_filename_component(HANDTRACK_SHARED_DIR "${PROJECT_SOURCE_DIR}/../shared" ABSOLUTE)
add_library(handtrack_test_support STATIC ${CMAKE_CURRENT_LIST_DIR}/test_support.cc)
target_link_libraries(handtrack_test_support PUBLIC handtrack gtest)
target_compile_definitions(handtrack_test_support PUBLIC HANDTRACK_SHARED_DIR="${HANDTRACK_SHARED_DIR}")

add_library(handtrack_op_cases STATIC
  ${CMAKE_CURRENT_LIST_DIR}/op_graph_builders.cc ${CMAKE_CURRENT_LIST_DIR}/op_oracle.cc
  ${CMAKE_CURRENT_LIST_DIR}/op_case_registry.cc ${CMAKE_CURRENT_LIST_DIR}/backend_settings_flag.cc)
target_include_directories(handtrack_op_cases PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(handtrack_op_cases PUBLIC handtrack_backend_reference handtrack_model handtrack_base)

set(wasm_test_link_options -sNODERAWFS=1 -sEXIT_RUNTIME=1 -sALLOW_MEMORY_GROWTH=1 -sINITIAL_MEMORY=67108864
    -sWASM_ASYNC_COMPILATION=0 --pre-js ${CMAKE_CURRENT_LIST_DIR}/wasm_test_env.js)
if(HANDTRACK_WASM_WEBGPU)
  # The handtrack_gpu build's tests also run in Chromium (web/tests/webgpu.test.mjs): an
  # in-memory file system filled before main (wasm_files_env.js) instead of NODERAWFS.
  set(wasm_test_link_options -sEXIT_RUNTIME=1 -sALLOW_MEMORY_GROWTH=1 -sINITIAL_MEMORY=67108864
      -sFORCE_FILESYSTEM=1 -sENVIRONMENT=web,worker,node --pre-js ${CMAKE_CURRENT_LIST_DIR}/wasm_files_env.js)
endif()
if(HANDTRACK_WASM_THREADS)
  list(APPEND wasm_test_link_options -sPTHREAD_POOL_SIZE=${HANDTRACK_WASM_MAX_THREADS})
endif()

add_executable(backend_op_test ${CMAKE_CURRENT_LIST_DIR}/backend_op_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/backend_op_test_fake.cc ${CMAKE_CURRENT_LIST_DIR}/arena_plan_test.cc)
target_link_libraries(backend_op_test PRIVATE handtrack_op_cases handtrack gtest)
add_executable(golden_tensors_test ${CMAKE_CURRENT_LIST_DIR}/golden_tensors_test.cc)
target_link_libraries(golden_tensors_test PRIVATE handtrack_test_support gtest_main)
set(wasm_tests backend_op_test golden_tensors_test)
if(HANDTRACK_WASM_WEBGPU)
  # Pre-processing on the GPU against the CPU samplers' bits (skips under node: no WebGPU).
  add_executable(webgpu_sampling_test ${CMAKE_CURRENT_LIST_DIR}/webgpu_sampling_test.cc
                                      ${CMAKE_CURRENT_LIST_DIR}/device_sampling_check.cc)
  target_link_libraries(webgpu_sampling_test PRIVATE handtrack_test_support handtrack_op_cases gtest)
  list(APPEND wasm_tests webgpu_sampling_test)
endif()
foreach(test ${wasm_tests})
  set_target_properties(${test} PROPERTIES SUFFIX ".js")
  target_link_options(${test} PRIVATE ${wasm_test_link_options})
  if(HANDTRACK_WASM_WEBGPU)
    # The webgpu backend registered (and ASYNCIFY), as in handtrack_gpu.
    target_link_libraries(${test} PRIVATE handtrack_runtime_webgpu)
    # Under node (no WebGPU here: webgpu is skipped, the CPU backends run as in the other builds).
    set(models_dir "$ENV{HOME}/.cache/handtrack/models")
    set(preloads)
    if(test STREQUAL golden_tensors_test)
      foreach(model palm_detection_full palm_detection_lite hand_landmark_full hand_landmark_lite)
        list(APPEND preloads --preload ${models_dir}/${model}.tflite
                             --preload ${HANDTRACK_SHARED_DIR}/golden/tensors/${model}_s1.tdmp)
      endforeach()
    endif()
    add_test(NAME wasm_${test} COMMAND node ${CMAKE_CURRENT_LIST_DIR}/wasm_node_run.js $<TARGET_FILE:${test}> ${preloads})
  else()
    # A path, not the target's name: CTest then runs exactly this node command line.
    add_test(NAME wasm_${test} COMMAND node $<TARGET_FILE:${test}>)
  endif()
endforeach()
set_tests_properties(wasm_backend_op_test PROPERTIES ENVIRONMENT "HANDTRACK_SHARED=${HANDTRACK_SHARED_DIR}")
