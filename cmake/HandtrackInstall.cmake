# Install rules, included last from the top CMakeLists.txt (every target exists by then).
#
#   cmake --install BUILD --prefix P
#
# installs the public headers (P/include/handtrack), the static libraries that libhandtrack links
# (P/lib), the CMake package (P/lib/cmake/handtrack: find_package(handtrack), then link
# handtrack::handtrack) and a pkg-config file (P/lib/pkgconfig/handtrack.pc), plus the `handtrack`
# command in builds with it. Internal headers (src/) and handtrack_io are not installed.
# With the C API (HANDTRACK_BUILD_C_API): libhandtrack.so.X.Y.Z and its soname links in P/lib,
# handtrack/handtrack.h, handtrack-c.pc, and handtrack::handtrack_c in the CMake package.
# examples/consumer builds against such an install both ways (scripts/test.sh, stage "install").
include(CMakePackageConfigHelpers)

set(HANDTRACK_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/handtrack)

# libhandtrack and the layers under it, in link order (each before what it uses).
set(handtrack_installed_libraries handtrack handtrack_runtime handtrack_vision)
foreach(backend handtrack_backend_xnnpack handtrack_backend_cuda handtrack_backend_wasm handtrack_backend_webgpu)
  if(TARGET ${backend})
    list(APPEND handtrack_installed_libraries ${backend})
  endif()
endforeach()
list(APPEND handtrack_installed_libraries
  handtrack_backend_reference handtrack_backend_core handtrack_model handtrack_base)

# The C API's shared library. Its file, libhandtrack.so, sits beside the C++ static libhandtrack.a
# in P/lib: that is why handtrack.pc names the static libraries by file (-l:libNAME.a).
set(handtrack_exported_targets ${handtrack_installed_libraries})
set(handtrack_c_header_exclude "")
if(TARGET handtrack_c)
  list(APPEND handtrack_exported_targets handtrack_c)
else()
  set(handtrack_c_header_exclude PATTERN "handtrack.h" EXCLUDE)
endif()
install(TARGETS ${handtrack_exported_targets}
        EXPORT handtrackTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
# The public API. image_io.h and video_io.h are handtrack_io's, which is not installed; handtrack.h
# (C) only with the library that implements it.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/handtrack
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h"
        PATTERN "image_io.h" EXCLUDE
        PATTERN "video_io.h" EXCLUDE
        ${handtrack_c_header_exclude})
if(TARGET handtrack_cli)
  install(TARGETS handtrack_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  # The web app that `handtrack serve` serves at / (docs/WEBAPP.md): it looks for it in
  # share/handtrack/web beside its bin/. Installed when scripts/build_web.sh built it first.
  if(HANDTRACK_BUILD_SERVER)
    install(DIRECTORY ${PROJECT_SOURCE_DIR}/web/build/app/ DESTINATION share/handtrack/web OPTIONAL)
  endif()
endif()

# The CMake package: handtrack::handtrack and the layers it links, in one export set.
install(EXPORT handtrackTargets
        NAMESPACE handtrack::
        DESTINATION ${HANDTRACK_INSTALL_CMAKEDIR})
set(HANDTRACK_XNNPACK_LIBRARIES "")
if(TARGET handtrack_backend_xnnpack)
  set(HANDTRACK_XNNPACK_LIBRARIES ${XNNPACK_LIBRARY} ${PTHREADPOOL_LIBRARY})
endif()
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/handtrackConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/handtrackConfig.cmake
                              INSTALL_DESTINATION ${HANDTRACK_INSTALL_CMAKEDIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/handtrackConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/handtrackConfig.cmake ${PROJECT_BINARY_DIR}/handtrackConfigVersion.cmake
        DESTINATION ${HANDTRACK_INSTALL_CMAKEDIR})

# handtrack.pc: every static library in link order, then what they need. Its prefix is found
# from the file's own place (${pcfiledir}), so `cmake --install --prefix P` anywhere works.
# The libraries are named by file (-l:libhandtrack.a), since a plain -lhandtrack would pick the C
# API's libhandtrack.so from the same folder.
function(handtrack_pkg_config_flag out library)  # /dir/libfoo.so -> [-L/dir] -lfoo
  get_filename_component(dir ${library} DIRECTORY)
  get_filename_component(name ${library} NAME_WE)
  string(REGEX REPLACE "^lib" "" name ${name})
  set(flag "-l${name}")
  if(NOT dir IN_LIST CMAKE_CXX_IMPLICIT_LINK_DIRECTORIES)
    set(flag "-L${dir} ${flag}")
  endif()
  set(${out} ${flag} PARENT_SCOPE)
endfunction()

set(handtrack_pc_libs "")
foreach(library IN LISTS handtrack_installed_libraries)
  string(APPEND handtrack_pc_libs " -l:lib${library}.a")
endforeach()
foreach(library IN LISTS HANDTRACK_XNNPACK_LIBRARIES)
  handtrack_pkg_config_flag(flag ${library})
  string(APPEND handtrack_pc_libs " ${flag}")
endforeach()
if(TARGET handtrack_backend_cuda)
  # What CUDA::cudart_static links: the static CUDA runtime, librt and libdl.
  string(APPEND handtrack_pc_libs " -L${CUDAToolkit_LIBRARY_DIR} -lcudart_static -lrt -ldl")
endif()
string(APPEND handtrack_pc_libs " -lpthread")
string(STRIP "${handtrack_pc_libs}" handtrack_pc_libs)

if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(handtrack_pc_prefix "${CMAKE_INSTALL_PREFIX}")
  set(handtrack_pc_libdir "${CMAKE_INSTALL_FULL_LIBDIR}")
  set(handtrack_pc_includedir "${CMAKE_INSTALL_FULL_INCLUDEDIR}")
else()
  file(RELATIVE_PATH handtrack_pc_up /root/${CMAKE_INSTALL_LIBDIR}/pkgconfig /root)
  string(REGEX REPLACE "/$" "" handtrack_pc_up "${handtrack_pc_up}")
  set(handtrack_pc_prefix "\${pcfiledir}/${handtrack_pc_up}")
  set(handtrack_pc_libdir "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
  set(handtrack_pc_includedir "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/handtrack.pc.in ${PROJECT_BINARY_DIR}/handtrack.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/handtrack.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# handtrack-c.pc: the C API, one shared library (its dependencies are its own business).
if(TARGET handtrack_c)
  configure_file(${PROJECT_SOURCE_DIR}/cmake/handtrack-c.pc.in ${PROJECT_BINARY_DIR}/handtrack-c.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/handtrack-c.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endif()
