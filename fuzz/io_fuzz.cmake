# libFuzzer target of src/io, included from fuzz/CMakeLists.txt in fuzz builds
# (clang; scripts/test.sh configures them and seeds this one with the shared photos).
if(TARGET handtrack_io)  # not in builds with -DHANDTRACK_BUILD_IO=OFF
  handtrack_add_fuzzer(image_decode_fuzz ${CMAKE_CURRENT_LIST_DIR}/image_decode_fuzz.cc)
  target_link_libraries(image_decode_fuzz PRIVATE handtrack_io)
endif()
