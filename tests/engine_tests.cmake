# One engine shared by threads and streams: the runtime's BatchingModel (pool of
# interpreters, batching across callers) on a tiny graph, and HandEngine under concurrent
# IMAGE calls, batched VIDEO streams, the batch policy and injected run errors; then
# `handtrack track --jobs N --batch B` against --jobs 1, byte for byte. Included from
# tests/CMakeLists.txt. The gtests also build under -fsanitize=thread (see README).
handtrack_add_gtest(batching_model_test ${CMAKE_CURRENT_LIST_DIR}/batching_model_test.cc)
# hand_engine_test reads the shared photos and videos with handtrack_io.
if(TARGET handtrack_io)
  handtrack_add_gtest(hand_engine_test ${CMAKE_CURRENT_LIST_DIR}/hand_engine_test.cc)
  target_link_libraries(hand_engine_test PRIVATE handtrack_io)
  # EnginePool (several engines, take-over of a failed engine's streams) on CPU engines.
  handtrack_add_gtest(engine_pool_test ${CMAKE_CURRENT_LIST_DIR}/engine_pool_test.cc)
  target_link_libraries(engine_pool_test PRIVATE handtrack_io)
endif()

if(TARGET handtrack_cli AND NOT HANDTRACK_SANITIZE)
  # XNNPACK when built (fast); the reference backend otherwise, on fewer frames.
  if(HANDTRACK_HAVE_XNNPACK)
    set(_jobs_delegate xnnpack)
  else()
    set(_jobs_delegate reference)
  endif()
  add_test(NAME track_jobs_equal_one_job
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/track_jobs_test.sh $<TARGET_FILE:handtrack_cli> ${_jobs_delegate})
  # COST: over 30 s in CI, started early (as the golden tests).
  set_tests_properties(track_jobs_equal_one_job PROPERTIES
                       ENVIRONMENT "${HANDTRACK_TEST_ENV}" SKIP_RETURN_CODE 77 TIMEOUT 900 COST 300)
endif()

if(TARGET handtrack_cli AND HANDTRACK_HAVE_CUDA AND NOT HANDTRACK_SANITIZE)
  # `track --gpus 0,0` with one engine faulted: take-over, results equal; skips (77) without a GPU.
  add_test(NAME track_gpus_take_over
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/track_gpus_test.sh $<TARGET_FILE:handtrack_cli>)
  set_tests_properties(track_gpus_take_over PROPERTIES
                       ENVIRONMENT "${HANDTRACK_TEST_ENV}" SKIP_RETURN_CODE 77 TIMEOUT 900)
endif()
