// SPDX-License-Identifier: BSL-1.0
// lib/detail/boost_src.cpp - Asio's, Asio SSL's and Beast's out-of-line code, compiled once.
//
// The library's own build defines BOOST_ASIO_SEPARATE_COMPILATION and
// BOOST_BEAST_SEPARATE_COMPILATION (CMakeLists.txt, CATENA_WEBHOOKS_SEPARATE_BOOST): their
// headers then declare what is not a template instead of defining it inline, and this file
// defines it, once, instead of every source that uses Asio or Beast compiling its own copy. The
// shared library keeps these symbols hidden, so a program embedding it compiles Asio and Beast
// as it likes; the daemon, the tools and the tests link the internal library with the same
// definitions.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
