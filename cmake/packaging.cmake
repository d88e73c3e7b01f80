# SPDX-License-Identifier: BSL-1.0
# cmake/packaging.cmake - the service files and the Debian packages (cpack -G DEB):
#   catena-webhookd         the daemon and simulator, the systemd unit, the default config;
#   libcatena-webhooks-dev  the library, its headers and CMake package files.
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
    else()
      set(_catena_etc \"\${CMAKE_INSTALL_PREFIX}/etc/catena-webhookd\")
      set(_catena_unit \"\${CMAKE_INSTALL_PREFIX}/lib/systemd/system\")
    endif()
    file(INSTALL DESTINATION \"\${_catena_unit}\" TYPE FILE
      FILES \"${PROJECT_BINARY_DIR}/packaging/catena-webhookd.service\")
    file(INSTALL DESTINATION \"\${_catena_etc}\" TYPE FILE
      FILES \"${PROJECT_SOURCE_DIR}/packaging/catena-webhookd.conf\")
    file(INSTALL DESTINATION \"\${_catena_etc}\" TYPE FILE
      PERMISSIONS OWNER_READ OWNER_WRITE
      FILES \"${PROJECT_SOURCE_DIR}/packaging/environment\" \"${PROJECT_SOURCE_DIR}/packaging/secrets\")
    " COMPONENT daemon)
  install(FILES README.md DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/catena-webhookd COMPONENT daemon)
  install(FILES packaging/prometheus/alerts.yml packaging/grafana/catena-webhookd.json
    DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/catena-webhookd COMPONENT daemon)
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME catena-webhooks)
set(CPACK_PACKAGE_VENDOR "catena-webhooks")
set(CPACK_PACKAGE_CONTACT "catena-webhooks maintainers <maintainers@catena-webhooks.invalid>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR}/packages)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL daemon dev)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The daemon's shared libraries (libssl3, libsqlite3-0, libsystemd0, ...) from dpkg-shlibdeps.
set(CPACK_DEBIAN_DAEMON_PACKAGE_NAME catena-webhookd)
set(CPACK_DEBIAN_DAEMON_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_DAEMON_PACKAGE_DEPENDS "passwd")
set(CPACK_DEBIAN_DAEMON_DESCRIPTION "Receiver for Catena telematics webhook deliveries
 catena-webhookd verifies each delivery as Catena signs it, answers 202 only once it is
 kept, de-duplicates, orders and correlates events into per-fleet state, and writes them
 as JSON Lines. Runs as a systemd service (Type=notify) with a state API and status page.")
set(CPACK_DEBIAN_DAEMON_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/packaging/debian/postinst
  ${PROJECT_SOURCE_DIR}/packaging/debian/prerm
  ${PROJECT_SOURCE_DIR}/packaging/debian/postrm
  ${PROJECT_SOURCE_DIR}/packaging/debian/conffiles)
set(CPACK_DEBIAN_DAEMON_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_DEV_PACKAGE_NAME libcatena-webhooks-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
  "libboost1.81-dev, libboost-json1.81-dev, libssl-dev, zlib1g-dev, libsqlite3-dev")
set(CPACK_DEBIAN_DEV_DESCRIPTION "Receiver for Catena telematics webhook deliveries (C++20 library)
 The embeddable catena::webhooks library, its headers and CMake package files:
 find_package(catena_webhooks) and link catena::webhooks.")
include(CPack)
