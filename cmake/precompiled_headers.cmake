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

# catena_webhooks_precompile(target [TEST]): TEST adds Boost.Test's header (the test binaries).
function(catena_webhooks_precompile target)
  if(NOT CATENA_WEBHOOKS_PCH)
    return()
  endif()
  set(headers ${CATENA_WEBHOOKS_PCH_HEADERS})
  if("TEST" IN_LIST ARGN)
    list(APPEND headers <boost/test/unit_test.hpp>)
  endif()
  target_precompile_headers(${target} PRIVATE ${headers})
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC 12 does not keep the system-header status of what it precompiled: its known false
    # positives of -Warray-bounds and -Wstringop-overflow inside libstdc++'s std::string (silent
    # in a source that includes <string> itself) are then reported in every source inlining them.
    target_compile_options(${target} PRIVATE -Wno-array-bounds -Wno-stringop-overflow)
  endif()
endfunction()

