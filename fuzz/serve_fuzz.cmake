# libFuzzer target of tools/serve's request parsers, included from fuzz/CMakeLists.txt in
# fuzz builds (scripts/test.sh seeds it with a few requests of each kind).
if(TARGET handtrack_serve_request)
  handtrack_add_fuzzer(serve_request_fuzz ${CMAKE_CURRENT_LIST_DIR}/serve_request_fuzz.cc)
  target_link_libraries(serve_request_fuzz PRIVATE handtrack_serve_request)
endif()
