# Install rules: the public header, libmapgc (static and shared), the mapgc
# command, mapgc.pc, and the CMake package `mapgc` (targets mapgc::mapgc and
# mapgc::mapgc_static).  Included from the top-level CMakeLists.txt.
include_guard(GLOBAL)
include(CMakePackageConfigHelpers)

set(MAPGC_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/mapgc"
  CACHE STRING "Where to install mapgcConfig.cmake, relative to the prefix")
mark_as_advanced(MAPGC_INSTALL_CMAKEDIR)

install(FILES "${PROJECT_SOURCE_DIR}/runtime/mapgc.h"
  DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
  COMPONENT mapgc_development)

install(TARGETS mapgc_static mapgc_shared
  EXPORT mapgcTargets
  ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT mapgc_development
  LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT mapgc_runtime
          NAMELINK_COMPONENT mapgc_development
  INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")

if(TARGET mapgc)
  install(TARGETS mapgc
    RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}" COMPONENT mapgc_runtime)
endif()

# ---- CMake package ----------------------------------------------------------

install(EXPORT mapgcTargets
  NAMESPACE mapgc::
  DESTINATION "${MAPGC_INSTALL_CMAKEDIR}"
  COMPONENT mapgc_development)

configure_package_config_file(
  "${CMAKE_CURRENT_LIST_DIR}/mapgcConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/mapgcConfig.cmake"
  INSTALL_DESTINATION "${MAPGC_INSTALL_CMAKEDIR}")
# 0.x: any minor release may change the API.
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/mapgcConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES
  "${PROJECT_BINARY_DIR}/mapgcConfig.cmake"
  "${PROJECT_BINARY_DIR}/mapgcConfigVersion.cmake"
  DESTINATION "${MAPGC_INSTALL_CMAKEDIR}"
  COMPONENT mapgc_development)

# ---- pkg-config ---------------------------------------------------------------
#
# prefix is written relative to the .pc file's own directory (${pcfiledir}),
# so the installed tree can be moved, or installed with `cmake --install
# --prefix`, and still be right.

set(pc_libdir "${CMAKE_INSTALL_LIBDIR}")
set(pc_includedir "${CMAKE_INSTALL_INCLUDEDIR}")
if(IS_ABSOLUTE "${pc_libdir}" OR IS_ABSOLUTE "${pc_includedir}")
  set(MAPGC_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(MAPGC_PC_LIBDIR "${CMAKE_INSTALL_FULL_LIBDIR}")
  set(MAPGC_PC_INCLUDEDIR "${CMAKE_INSTALL_FULL_INCLUDEDIR}")
else()
  file(RELATIVE_PATH pc_up "/mapgc-prefix/${pc_libdir}/pkgconfig" "/mapgc-prefix")
  string(REGEX REPLACE "/$" "" pc_up "${pc_up}")
  set(MAPGC_PC_PREFIX "\${pcfiledir}/${pc_up}")
  set(MAPGC_PC_LIBDIR "\${prefix}/${pc_libdir}")
  set(MAPGC_PC_INCLUDEDIR "\${prefix}/${pc_includedir}")
endif()
configure_file("${CMAKE_CURRENT_LIST_DIR}/mapgc.pc.in" "${PROJECT_BINARY_DIR}/mapgc.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/mapgc.pc"
  DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig"
  COMPONENT mapgc_development)
