# HandLandmarker: API behaviour, and agreement with MediaPipe's golden outputs.
# It reads the shared photos with handtrack_io: not in builds without it (-DHANDTRACK_BUILD_IO=OFF).
if(TARGET handtrack_io)
  handtrack_add_gtest(hand_landmarker_test hand_landmarker_test.cc)
  target_link_libraries(hand_landmarker_test PRIVATE handtrack_io)
endif()

if(TARGET handtrack_cli AND NOT HANDTRACK_SANITIZE)
  foreach(model full lite)
    foreach(delegate xnnpack reference)
      if(delegate STREQUAL "xnnpack" AND NOT HANDTRACK_HAVE_XNNPACK)
        continue()
      endif()
      add_test(NAME golden_images_${model}_${delegate}
               COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/golden_images_test.sh $<TARGET_FILE:handtrack_cli> ${model} ${delegate})
      set_tests_properties(golden_images_${model}_${delegate} PROPERTIES
                           ENVIRONMENT "${HANDTRACK_TEST_ENV}" SKIP_RETURN_CODE 77 TIMEOUT 900)
    endforeach()
    # COST: the reference backend's runs are among the longest tests (20-34 s in CI), so
    # ctest -j starts them early instead of leaving them to run nearly alone at the end.
    set_tests_properties(golden_images_${model}_reference PROPERTIES COST 300)
  endforeach()
endif()

if(TARGET handtrack_cli AND NOT HANDTRACK_SANITIZE)
  add_test(NAME golden_videos_full_auto
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/golden_videos_test.sh $<TARGET_FILE:handtrack_cli>)
  set_tests_properties(golden_videos_full_auto PROPERTIES
                       ENVIRONMENT "${HANDTRACK_TEST_ENV}" SKIP_RETURN_CODE 77 TIMEOUT 900 COST 300)
endif()
