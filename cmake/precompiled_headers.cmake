# SPDX-License-Identifier: BSL-1.0
# Precompiled headers: the Boost headers (Asio, Beast, JSON) that most sources include cost about 4 s
# of parsing in each of them (gcc 12, -O2); compiled once per target instead (a full build: 13 %
# less CPU time, docs/testing.md "Build time"). Headers only, and
# none whose meaning depends on a macro a source defines first (test/unit/main.cpp defines
# BOOST_TEST_MODULE: it is left out).
option(CATENA_WEBHOOKS_PCH "Precompile the Boost headers most sources include (a faster build)" ${CATENA_WEBHOOKS_IS_TOP_LEVEL})

set(CATENA_WEBHOOKS_PCH_HEADERS
  <algorithm> <chrono> <cstdint> <functional> <map> <memory> <mutex> <optional> <string>
  <string_view> <unordered_map> <vector>
  <boost/asio/io_context.hpp> <boost/asio/ip/tcp.hpp> <boost/asio/post.hpp>
  <boost/asio/steady_timer.hpp> <boost/asio/strand.hpp>
  <boost/beast/core.hpp> <boost/beast/http.hpp>
  <boost/json.hpp>)

# catena_webhooks_precompile(target [TEST] [REUSE_FROM other]): TEST adds Boost.Test's header
# (the test binaries). REUSE_FROM takes another target's precompiled header instead of compiling
# one more (each costs about 23 CPU-s at -O2 -g1): the targets must compile with the same
# options and with the same definitions of any macro the headers test (Boost.Test's
# BOOST_TEST_DYN_LINK, say); the library's objects (position-independent) share with nobody.
# GCC says when it cannot use one (-Winvalid-pch) and reads the headers instead.
function(catena_webhooks_precompile target)
  if(NOT CATENA_WEBHOOKS_PCH)
    return()
  endif()
  cmake_parse_arguments(PCH "TEST" "REUSE_FROM" "" ${ARGN})
  # hiredis' pkg-config flags define it for the targets that use it (the sinks, the test
  # support); defined for every target alike (it changes nothing on a 64-bit system), so that
  # their precompiled headers can be shared.
  target_compile_definitions(${target} PRIVATE _FILE_OFFSET_BITS=64)
  if(PCH_REUSE_FROM)
    target_precompile_headers(${target} REUSE_FROM ${PCH_REUSE_FROM})
  else()
    set(headers ${CATENA_WEBHOOKS_PCH_HEADERS})
    if(PCH_TEST)
      list(APPEND headers <boost/test/unit_test.hpp>)
    endif()
    target_precompile_headers(${target} PRIVATE ${headers})
  endif()
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC 12 does not keep the system-header status of what it precompiled: its known false
    # positives of -Warray-bounds and -Wstringop-overflow inside libstdc++'s std::string (silent
    # in a source that includes <string> itself) are then reported in every source inlining them.
    target_compile_options(${target} PRIVATE -Wno-array-bounds -Wno-stringop-overflow)
  endif()
endfunction()

