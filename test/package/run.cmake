# SPDX-License-Identifier: BSL-1.0
# Builds and runs a consumer project against catena_webhooks, as a user would.
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

function(run)
  execute_process(COMMAND ${ARGV} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "command failed (${rc}): ${ARGV}\n${out}")
  endif()
endfunction()

set(consumer ${SOURCE_DIR}/test/package/${MODE})
# With the flags this build was made with: a library built with --coverage (or any flag that
# needs its runtime at link time) links only into a consumer built the same way.
# The consumer that adds the source tree compiles the whole library: with no build type (no
# optimisation, no debug information) it compiles in far less time than an optimised build, and
# what is tested (the tree adds, builds, links and runs as a subproject) is the same.
# Its precompiled headers are asked for too (a subproject's default is off).
if(MODE STREQUAL "add_subdirectory")
  set(build_type "")
  set(extra -DCATENA_WEBHOOKS_PCH=ON)
else()
  set(build_type Release)
  set(extra "")
endif()
set(args -S ${consumer} -B ${WORK_DIR}/build -G ${GENERATOR} -DCMAKE_CXX_COMPILER=${CXX} "-DCMAKE_BUILD_TYPE=${build_type}"
  "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}" ${extra})
if(MODE STREQUAL "find_package")
  run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK_DIR}/prefix)
  list(APPEND args -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix)
else()
  list(APPEND args -DCATENA_WEBHOOKS_SOURCE_DIR=${SOURCE_DIR})
endif()
run(${CMAKE_COMMAND} ${args})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build -j2)
run(${WORK_DIR}/build/consumer)
if(MODE STREQUAL "add_subdirectory")
  # Configured with CATENA_WEBHOOKS_POSTGRESQL=OFF: libpq is nowhere in the consumer's link.
  execute_process(COMMAND ldd ${WORK_DIR}/build/consumer OUTPUT_VARIABLE libs RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0 OR libs MATCHES "libpq")
    message(FATAL_ERROR "a consumer built with CATENA_WEBHOOKS_POSTGRESQL=OFF links libpq (or ldd failed, ${rc}):\n${libs}")
  endif()
endif()
