# SPDX-License-Identifier: BSL-1.0
# test/layering.cmake - the rooms of lib/ and which way their includes point (ctest: structure.layering).
#
# Run as: cmake -DSOURCE_DIR=... -DBINARY_DIR=... -DCXX=... -P layering.cmake
# Every file of lib/ sits in a room, and the rooms have an order, lowest first:
#   detail < verify < model < clients < state < store < processing < providers < delivery < http < receiver
# Fails, naming the file and the include, when:
# - a file of lib/ sits in no room of that order (the lib/ root holds no file);
# - a file includes a room above its own ("room/..."), or a public header that belongs to a
#   room above its own: <catena/webhooks/receiver.hpp> and beast.hpp (and the umbrella
#   <catena/webhooks.hpp>) are the facade's, notifications.hpp and subscriptions.hpp the API
#   clients', foxtrot.hpp the providers'. The other public headers are the vocabulary every
#   room shares (types and their names, options, errors);
# - a file of lib/ other than the facade's own sources includes <catena/webhooks/receiver.hpp>;
# - a header of processing or state pulls in Asio, directly or through what it includes;
# - an internal header exports a symbol (CATENA_WEBHOOKS_DECL belongs to the public headers).
cmake_minimum_required(VERSION 3.25)

set(order detail verify model clients state store processing providers delivery http receiver)
# The facade's own sources: the only files of lib/ that include <catena/webhooks/receiver.hpp>.
set(facade receiver/receiver.cpp receiver/receiver_impl.hpp)
list(JOIN facade ", " facade_names)
# Public headers that belong to a room (header=room); the rest belong to none.
set(public_rooms
  "receiver.hpp=receiver" "beast.hpp=receiver"
  "notifications.hpp=clients" "subscriptions.hpp=clients"
  "foxtrot.hpp=providers")
set(problems "")

file(GLOB_RECURSE files RELATIVE ${SOURCE_DIR}/lib ${SOURCE_DIR}/lib/*.hpp ${SOURCE_DIR}/lib/*.cpp)
foreach(f IN LISTS files)
  set(room "")
  if(f MATCHES "^([a-z_]+)/")
    set(room "${CMAKE_MATCH_1}")
  endif()
  list(FIND order "${room}" level)
  if(level EQUAL -1)
    string(APPEND problems "  lib/${f} sits in no room: move it into one of lib/{${order}}/\n")
    continue()
  endif()
  file(STRINGS ${SOURCE_DIR}/lib/${f} includes REGEX "^#include [\"<]")
  foreach(line IN LISTS includes)
    set(target "")
    if(line MATCHES "^#include \"([a-z_]+)/")
      set(target "${CMAKE_MATCH_1}")
      list(FIND order "${target}" target_level)
      if(target_level EQUAL -1)
        string(APPEND problems "  lib/${f} (${room}) includes a file in no room: ${line}\n")
        continue()
      endif()
    elseif(line MATCHES "^#include \"")
      string(APPEND problems "  lib/${f} (${room}) includes a file in no room: ${line}\n")
      continue()
    elseif(line MATCHES "^#include <catena/webhooks\\.hpp>")
      set(target receiver)
    elseif(line MATCHES "^#include <catena/webhooks/([a-z_]+\\.hpp)>")
      set(header "${CMAKE_MATCH_1}")
      if(header STREQUAL "receiver.hpp" AND NOT f IN_LIST facade)
        string(APPEND problems "  lib/${f} (${room}) includes the facade's header, which only the facade "
          "(${facade_names}) may: ${line} (the handler signatures are in handlers.hpp, receiver_stats in stats.hpp)\n")
        continue()
      endif()
      foreach(pair IN LISTS public_rooms)
        if(pair MATCHES "^${header}=(.+)$")
          set(target "${CMAKE_MATCH_1}")
        endif()
      endforeach()
    endif()
    if(target STREQUAL "")
      continue()
    endif()
    list(FIND order "${target}" target_level)
    if(target_level GREATER level)
      string(APPEND problems "  lib/${f} (${room}) includes ${target}, a room above it: ${line}\n")
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
message(STATUS "layering: ${n} files of lib/, each in its room, point down only; "
  "processing and state are free of Asio")
