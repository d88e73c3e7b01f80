# SPDX-License-Identifier: BSL-1.0
# cmake/packaging.cmake - the service files and the Debian packages (cpack -G DEB):
#   catena-webhookd         the daemon and simulator, the systemd unit, the default config,
#                           the logrotate file, man pages and docs;
#   libcatena-webhooks0     the shared library (component lib; not in a static build);
#   libcatena-webhooks-dev  its headers, the .so link (or the static library), the CMake
#                           package files and catena-webhooks.pc.
# Included from the top-level CMakeLists.txt when CATENA_WEBHOOKS_INSTALL is on.

# The service's files. Installed with the prefix /usr (the package) they go where Debian puts
# them: /etc/catena-webhookd and /lib/systemd/system; under any other prefix they stay inside
# it (PREFIX/etc/catena-webhookd, PREFIX/lib/systemd/system), so that `cmake --install
# --prefix DIR` never writes outside DIR.
if(TARGET catena-webhookd)
  foreach(prefix_kind IN ITEMS package build)
    if(prefix_kind STREQUAL "package")
      # The unit as the package installs it.
      set(CATENA_WEBHOOKD_BINARY /usr/bin/catena-webhookd)
      set(CATENA_WEBHOOKD_CONFIG_DIR /etc/catena-webhookd)
      set(CATENA_WEBHOOKD_DOC_DIR /usr/share/doc/catena-webhookd)
      configure_file(${PROJECT_SOURCE_DIR}/packaging/catena-webhookd.service.in
        ${PROJECT_BINARY_DIR}/packaging/catena-webhookd.service @ONLY)
    else()
      # The same unit over this build tree's binary, for `systemd-analyze verify` in the tests.
      set(CATENA_WEBHOOKD_BINARY ${PROJECT_BINARY_DIR}/catena-webhookd)
      set(CATENA_WEBHOOKD_CONFIG_DIR ${PROJECT_SOURCE_DIR}/packaging)
      set(CATENA_WEBHOOKD_DOC_DIR ${PROJECT_SOURCE_DIR})
      configure_file(${PROJECT_SOURCE_DIR}/packaging/catena-webhookd.service.in
        ${PROJECT_BINARY_DIR}/packaging/build-tree/catena-webhookd.service @ONLY)
    endif()
  endforeach()

  install(CODE "
    if(CMAKE_INSTALL_PREFIX STREQUAL \"/usr\")
      set(_catena_etc \"/etc/catena-webhookd\")
      set(_catena_unit \"/lib/systemd/system\")
      set(_catena_logrotate \"/etc/logrotate.d\")
    else()
      set(_catena_etc \"\${CMAKE_INSTALL_PREFIX}/etc/catena-webhookd\")
      set(_catena_unit \"\${CMAKE_INSTALL_PREFIX}/lib/systemd/system\")
      set(_catena_logrotate \"\${CMAKE_INSTALL_PREFIX}/etc/logrotate.d\")
    endif()
    file(INSTALL DESTINATION \"\${_catena_unit}\" TYPE FILE
      FILES \"${PROJECT_BINARY_DIR}/packaging/catena-webhookd.service\")
    file(INSTALL DESTINATION \"\${_catena_etc}\" TYPE FILE
      FILES \"${PROJECT_SOURCE_DIR}/packaging/catena-webhookd.conf\")
    file(INSTALL DESTINATION \"\${_catena_etc}\" TYPE FILE
      PERMISSIONS OWNER_READ OWNER_WRITE
      FILES \"${PROJECT_SOURCE_DIR}/packaging/environment\" \"${PROJECT_SOURCE_DIR}/packaging/secrets\")
    file(INSTALL DESTINATION \"\${_catena_logrotate}\" TYPE FILE
      RENAME catena-webhookd FILES \"${PROJECT_SOURCE_DIR}/packaging/logrotate\")
    " COMPONENT daemon)
  # The README and the docs/ it links to, beside each other as in the source tree.
  install(FILES README.md DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/catena-webhookd COMPONENT daemon)
  install(DIRECTORY docs DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/catena-webhookd COMPONENT daemon)

  # Man pages, made by help2man from each binary's --help (so they never disagree with it) and
  # the sections of packaging/man/*.h2m, gzipped as Debian keeps them.
  find_program(CATENA_WEBHOOKS_HELP2MAN help2man)
  if(NOT CATENA_WEBHOOKS_HELP2MAN)
    message(FATAL_ERROR "help2man is missing: the man pages are made with it (scripts/setup installs it; "
      "-DCATENA_WEBHOOKS_INSTALL=OFF builds without the install rules)")
  endif()
  set(_man_pages)
  foreach(page IN ITEMS "catena-webhookd 8" "catena-webhook-sim 1")
    separate_arguments(page)
    list(GET page 0 name)
    list(GET page 1 section)
    set(out ${PROJECT_BINARY_DIR}/packaging/man/${name}.${section}.gz)
    add_custom_command(OUTPUT ${out}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/packaging/man
      COMMAND ${CATENA_WEBHOOKS_HELP2MAN} --no-info --section=${section} --version-string=${PROJECT_VERSION}
        --include=${PROJECT_SOURCE_DIR}/packaging/man/${name}.h2m
        --output=${PROJECT_BINARY_DIR}/packaging/man/${name}.${section} $<TARGET_FILE:${name}>
      COMMAND gzip -9nf ${PROJECT_BINARY_DIR}/packaging/man/${name}.${section}
      DEPENDS ${name} ${PROJECT_SOURCE_DIR}/packaging/man/${name}.h2m
      COMMENT "Man page ${name}(${section})" VERBATIM)
    list(APPEND _man_pages ${out})
    install(FILES ${out} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section} COMPONENT daemon)
  endforeach()
  add_custom_target(catena_webhooks_man_pages ALL DEPENDS ${_man_pages})
  install(FILES packaging/prometheus/alerts.yml packaging/grafana/catena-webhookd.json
    DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/catena-webhookd COMPONENT daemon)
endif()

# Every package's copyright (machine-readable, BSL-1.0) and Debian changelog in its doc directory.
set(_catena_changelog ${PROJECT_BINARY_DIR}/packaging/changelog.Debian.gz)
add_custom_command(OUTPUT ${_catena_changelog}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/packaging
  COMMAND sh -c "gzip -9nc \"$1\" > \"$2\"" sh ${PROJECT_SOURCE_DIR}/packaging/debian/changelog ${_catena_changelog}
  DEPENDS ${PROJECT_SOURCE_DIR}/packaging/debian/changelog
  COMMENT "" VERBATIM)
add_custom_target(catena_webhooks_changelog ALL DEPENDS ${_catena_changelog})
set(_catena_doc_components dev)
if(BUILD_SHARED_LIBS)
  list(APPEND _catena_doc_components lib)
endif()
if(TARGET catena-webhookd)
  list(APPEND _catena_doc_components daemon)
endif()
foreach(component IN LISTS _catena_doc_components)
  set(package_lib libcatena-webhooks${PROJECT_VERSION_MAJOR})
  set(package_dev libcatena-webhooks-dev)
  set(package_daemon catena-webhookd)
  install(FILES ${PROJECT_SOURCE_DIR}/packaging/debian/copyright ${_catena_changelog}
    DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/${package_${component}} COMPONENT ${component})
endforeach()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME catena-webhooks)
set(CPACK_PACKAGE_VENDOR "catena-webhooks")
set(CPACK_PACKAGE_CONTACT "catena-webhooks maintainers <maintainers@catena-webhooks.invalid>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
# The synopsis of every package (CPack puts it above each package's description).
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR}/packages)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL dev)
if(BUILD_SHARED_LIBS)
  list(APPEND CPACK_COMPONENTS_ALL lib)
endif()
if(TARGET catena-webhookd)
  list(APPEND CPACK_COMPONENTS_ALL daemon)
endif()
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The daemon's shared libraries (libssl3, libsqlite3-0, libsystemd0, ...) from dpkg-shlibdeps.
set(CPACK_DEBIAN_DAEMON_PACKAGE_NAME catena-webhookd)
set(CPACK_DEBIAN_DAEMON_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_DAEMON_PACKAGE_DEPENDS "passwd")
set(CPACK_DEBIAN_DAEMON_PACKAGE_SUGGESTS "logrotate")
set(CPACK_DEBIAN_DAEMON_DESCRIPTION "catena-webhookd verifies each delivery as Catena signs it, answers 202 only once it is
kept, de-duplicates, orders and correlates events into per-fleet state, and writes them
as JSON Lines. Runs as a systemd service (Type=notify) with a state API and status page.")
set(CPACK_DEBIAN_DAEMON_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/packaging/debian/postinst
  ${PROJECT_SOURCE_DIR}/packaging/debian/prerm
  ${PROJECT_SOURCE_DIR}/packaging/debian/postrm
  ${PROJECT_SOURCE_DIR}/packaging/debian/conffiles)
set(CPACK_DEBIAN_DAEMON_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# The shared library, named after its SONAME (libcatena_webhooks.so.0); its Depends from
# dpkg-shlibdeps, and a shlibs file (with the ldconfig trigger) for the packages built on it.
set(CPACK_DEBIAN_LIB_PACKAGE_NAME libcatena-webhooks${PROJECT_VERSION_MAJOR})
set(CPACK_DEBIAN_LIB_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_LIB_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")
set(CPACK_DEBIAN_LIB_DESCRIPTION "The shared library catena::webhooks (C++20): verifies Catena's signed webhook deliveries, keeps them
durably before answering 202, de-duplicates and hands each event to the embedding
program's handlers.")
# -dev: the library of the same version, and the -dev package of each dependency its headers
# and CMake config need (CATENA_WEBHOOKS_DEV_DEPENDS, beside the config's find_dependency()s).
set(CPACK_DEBIAN_DEV_PACKAGE_NAME libcatena-webhooks-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
list(JOIN CATENA_WEBHOOKS_DEV_DEPENDS ", " _catena_dev_depends)
if(BUILD_SHARED_LIBS)
  set(_catena_dev_depends "libcatena-webhooks${PROJECT_VERSION_MAJOR} (= ${CPACK_PACKAGE_VERSION}), ${_catena_dev_depends}")
endif()
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "${_catena_dev_depends}")
set(CPACK_DEBIAN_DEV_DESCRIPTION "The development files of catena::webhooks (C++20): its headers, CMake package files and pkg-config file:
find_package(catena_webhooks) and link catena::webhooks, or
pkg-config --cflags --libs catena-webhooks.")
include(CPack)
