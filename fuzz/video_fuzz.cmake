# libFuzzer target of the video reader (src/io), included from fuzz/CMakeLists.txt in fuzz builds.
# It seeds an empty corpus folder itself with tiny videos (see video_decode_fuzz.cc).
if(TARGET handtrack_io)  # not in builds with -DHANDTRACK_BUILD_IO=OFF
  handtrack_add_fuzzer(video_decode_fuzz ${CMAKE_CURRENT_LIST_DIR}/video_decode_fuzz.cc)
  target_link_libraries(video_decode_fuzz PRIVATE handtrack_io)
endif()
