# SPDX-License-Identifier: BSL-1.0
# test/layering.cmake - the rooms of lib/ and which way their includes may point (ctest: structure.layering).
#
# Run as: cmake -DSOURCE_DIR=... -DBINARY_DIR=... -DCXX=... -P layering.cmake
# Fails, naming the file and the include, when:
# - a room includes a room above it: the order is state < store < providers < processing <
#   delivery < http (receiver.cpp and metrics.cpp, the facade, sit above them all; core and detail below);
# - a header of processing or state pulls in Asio, directly or through what it includes;
# - an internal header exports a symbol (CATENA_WEBHOOKS_DECL belongs to the public headers).
cmake_minimum_required(VERSION 3.25)

set(order state store providers processing delivery http)
set(problems "")

file(GLOB_RECURSE files RELATIVE ${SOURCE_DIR}/lib ${SOURCE_DIR}/lib/*.hpp ${SOURCE_DIR}/lib/*.cpp)
foreach(f IN LISTS files)
  string(REGEX MATCH "^[a-z_]+/" room "${f}")
  string(REPLACE "/" "" room "${room}")
  list(FIND order "${room}" level)
  file(STRINGS ${SOURCE_DIR}/lib/${f} includes REGEX "^#include \"[a-z_]+/")
  foreach(line IN LISTS includes)
    string(REGEX REPLACE "^#include \"([a-z_]+)/.*" "\\1" target "${line}")
    list(FIND order "${target}" target_level)
    if(level GREATER -1 AND target_level GREATER level)
      string(APPEND problems "  lib/${f} (${room}) includes ${target}/ above it: ${line}\n")
    endif()
    if(room STREQUAL "detail" AND target_level GREATER -1)
      string(APPEND problems "  lib/${f} (detail) includes a room: ${line}\n")
    endif()
  endforeach()
  file(STRINGS ${SOURCE_DIR}/lib/${f} exported REGEX "CATENA_WEBHOOKS_DECL")
  if(exported AND f MATCHES "\\.hpp$")
    string(APPEND problems "  lib/${f} exports an internal symbol: ${exported}\n")
  endif()
endforeach()

file(GLOB sans_io RELATIVE ${SOURCE_DIR}/lib ${SOURCE_DIR}/lib/processing/*.hpp ${SOURCE_DIR}/lib/state/*.hpp)
foreach(h IN LISTS sans_io)
  execute_process(
    COMMAND ${CXX} -std=c++20 -E -x c++ -I${SOURCE_DIR}/include -I${BINARY_DIR}/include -I${SOURCE_DIR}/lib -
    INPUT_FILE ${SOURCE_DIR}/lib/${h}
    OUTPUT_VARIABLE pre ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    string(APPEND problems "  lib/${h} does not preprocess on its own: ${err}\n")
  elseif(pre MATCHES "boost/asio/")
    string(APPEND problems "  lib/${h} pulls in Asio (processing and state do no I/O)\n")
  endif()
endforeach()

if(problems)
  message(FATAL_ERROR "layering:\n${problems}")
endif()
list(LENGTH files n)
message(STATUS "layering: ${n} files of lib/ point down only; processing and state are free of Asio")
