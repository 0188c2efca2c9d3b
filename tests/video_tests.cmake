# Unit tests of video reading and writing (src/io, FFmpeg), included from tests/CMakeLists.txt.
# The test makes its own videos with VideoWriter; the shared videos (../shared) are checked
# against the golden frame counts when present (required under CI=true).
# Only in builds with handtrack_io (-DHANDTRACK_BUILD_IO=ON, the default).
if(TARGET handtrack_io)
  handtrack_add_gtest(video_io_test ${CMAKE_CURRENT_LIST_DIR}/video_io_test.cc)
  target_link_libraries(video_io_test PRIVATE handtrack_io ${CMAKE_DL_LIBS})
endif()
