# What `cmake --install` puts under the prefix (README "Install and link"):
#   bin/mmusim and bin/mmusim-NAME for the scripts users run (small
#   wrappers that run libexec/mmusim/NAME with this installation's mmusim),
#   lib/libmmusim.so.0 and lib/libmmusim.a, include/mmusim/mmusim.h,
#   lib/pkgconfig/mmusim.pc, lib/cmake/mmusim/ (find_package(mmusim)),
#   the Python module mmusim, and the man pages mmusim(1) and mmtrace(5).
# With the SystemC layer built (model/sc, MMUSIM_HW_LAYERS and SystemC
# found) also lib/libmmusim_systemc.a, its headers under include/mmusim/
# (sc/mmu_tlm.h and the C model headers it includes),
# lib/pkgconfig/mmusim-systemc.pc and the package's component systemc
# (docs/tlm-platform.md); without it none of these, and the package says
# the component is unavailable.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(MMUSIM_USER_SCRIPTS import-sched import-lackey capture gen-workload experiment plot waves compare)
set(MMUSIM_LIBEXEC ${CMAKE_INSTALL_LIBEXECDIR}/mmusim)

# Python: a Debian interpreter looks in dist-packages, others in site-packages.
find_package(Python3 COMPONENTS Interpreter QUIET)
if(Python3_FOUND)
  execute_process(COMMAND ${Python3_EXECUTABLE} -c
    "import sys, sysconfig; print('python%d.%d/%s' % (sys.version_info[0], sys.version_info[1], 'dist-packages' if 'deb_system' in sysconfig.get_scheme_names() else 'site-packages'))"
    OUTPUT_VARIABLE _mmusim_pyleaf OUTPUT_STRIP_TRAILING_WHITESPACE)
else()
  set(_mmusim_pyleaf python3/dist-packages)
endif()
set(MMUSIM_INSTALL_PYTHONDIR ${CMAKE_INSTALL_LIBDIR}/${_mmusim_pyleaf} CACHE STRING
    "where the Python module mmusim is installed, relative to the prefix")

if(TARGET mmusim)
  install(TARGETS mmusim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
install(TARGETS mmusim_shared LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES ${CMAKE_BINARY_DIR}/lib/libmmusim.a DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES ${PROJECT_SOURCE_DIR}/model/include/mmusim/mmusim.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/mmusim)

# The scripts, with the mmtrace package they import beside them.
foreach(name ${MMUSIM_USER_SCRIPTS})
  if(NOT EXISTS ${PROJECT_SOURCE_DIR}/scripts/${name})
    continue()
  endif()
  install(PROGRAMS ${PROJECT_SOURCE_DIR}/scripts/${name} DESTINATION ${MMUSIM_LIBEXEC})
  file(RELATIVE_PATH _rel /p/${CMAKE_INSTALL_BINDIR} /p/${MMUSIM_LIBEXEC}/${name})
  set(_wrapper ${CMAKE_BINARY_DIR}/install/mmusim-${name})
  file(WRITE ${_wrapper}
"#!/bin/sh
# mmusim-${name}: runs mmusim's ${name} script with this installation's mmusim.
here=$(dirname \"$(readlink -f \"$0\")\")
export MMUSIM=\"\${MMUSIM:-$here/mmusim}\"
exec \"$here/${_rel}\" \"$@\"
")
  install(PROGRAMS ${_wrapper} DESTINATION ${CMAKE_INSTALL_BINDIR})
endforeach()
install(DIRECTORY ${PROJECT_SOURCE_DIR}/scripts/mmtrace DESTINATION ${MMUSIM_LIBEXEC}
        FILES_MATCHING PATTERN "*.py" PATTERN "__pycache__" EXCLUDE)

# The Python module, told where the shared library is relative to itself.
if(EXISTS ${PROJECT_SOURCE_DIR}/python/mmusim/__init__.py)
  file(RELATIVE_PATH _rel /p/${MMUSIM_INSTALL_PYTHONDIR}/mmusim
       /p/${CMAKE_INSTALL_LIBDIR}/libmmusim.so.${PROJECT_VERSION_MAJOR})
  file(WRITE ${CMAKE_BINARY_DIR}/install/_location.py
       "# written by cmake --install: the shared library, relative to this folder\nLIBRARY = \"${_rel}\"\n")
  install(FILES ${PROJECT_SOURCE_DIR}/python/mmusim/__init__.py ${CMAKE_BINARY_DIR}/install/_location.py
          DESTINATION ${MMUSIM_INSTALL_PYTHONDIR}/mmusim)
endif()

install(FILES ${PROJECT_SOURCE_DIR}/docs/man/mmusim.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${PROJECT_SOURCE_DIR}/docs/man/mmtrace.5 DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)

# pkg-config: relocatable through ${pcfiledir}.
file(RELATIVE_PATH _pc_to_prefix /p/${CMAKE_INSTALL_LIBDIR}/pkgconfig /p)
string(REGEX REPLACE "/$" "" _pc_to_prefix "${_pc_to_prefix}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/mmusim.pc.in ${CMAKE_BINARY_DIR}/install/mmusim.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/install/mmusim.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# find_package(mmusim): targets mmusim::mmusim (shared) and mmusim::mmusim_static.
set(MMUSIM_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/mmusim)
# the static library's own dependencies: libm and the decompressors
set(MMUSIM_STATIC_INTERFACE_LIBS m ${MMUSIM_COMPRESSION_CMAKE_LIBS})

# The SystemC layer for platforms: the TLM MMU's archive and the headers
# mmu_tlm.h includes, each at its place under include/mmusim/ so that its
# includes ("base/config.h", "hw/mmu.h") resolve inside the prefix; the
# package's component systemc (mmusim::systemc) and mmusim-systemc.pc.
set(MMUSIM_SYSTEMC_INSTALLED FALSE)
if(TARGET mmusim_systemc)
  set(MMUSIM_SYSTEMC_INSTALLED TRUE)
  install(TARGETS mmusim_systemc ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
  foreach(h sc/mmu_tlm.h base/config.h base/phys.h base/stats.h
            hw/mmu.h hw/cache.h hw/paging.h hw/tlb.h hw/tlb_fast.h)
    get_filename_component(_dir ${h} DIRECTORY)
    install(FILES ${PROJECT_SOURCE_DIR}/model/${h} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/mmusim/${_dir})
  endforeach()
  configure_file(${PROJECT_SOURCE_DIR}/cmake/mmusim-systemc.pc.in
                 ${CMAKE_BINARY_DIR}/install/mmusim-systemc.pc @ONLY)
  install(FILES ${CMAKE_BINARY_DIR}/install/mmusim-systemc.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endif()
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/mmusimConfig.cmake.in
  ${CMAKE_BINARY_DIR}/install/mmusimConfig.cmake INSTALL_DESTINATION ${MMUSIM_CMAKEDIR}
  PATH_VARS CMAKE_INSTALL_LIBDIR CMAKE_INSTALL_INCLUDEDIR)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/install/mmusimConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_BINARY_DIR}/install/mmusimConfig.cmake
        ${CMAKE_BINARY_DIR}/install/mmusimConfigVersion.cmake DESTINATION ${MMUSIM_CMAKEDIR})
