// SPDX-License-Identifier: BSL-1.0
// bench/count_allocations.hpp - every heap allocation of a benchmark binary counted, for figures per delivery.
//
// Replaces the global operator new and delete: include it in one source of a benchmark binary
// (its main source), never in a header of the library or in two sources of one binary.
#ifndef CATENA_WEBHOOKS_BENCH_COUNT_ALLOCATIONS_HPP
#define CATENA_WEBHOOKS_BENCH_COUNT_ALLOCATIONS_HPP

#include <atomic>
#include <cstdlib>
#include <new>

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace bench {
/// Heap allocations so far in this process.
inline std::atomic<std::size_t> allocations{0};
} // namespace bench

void* operator new(std::size_t n)
{
    bench::allocations.fetch_add(1, std::memory_order_relaxed);
    if(void* p = std::malloc(n ? n : 1))
        return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

#endif
