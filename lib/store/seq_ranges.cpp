// SPDX-License-Identifier: BSL-1.0
// lib/store/seq_ranges.cpp - processed inbox sequences as disjoint ranges.
#include "store/seq_ranges.hpp"

#include <algorithm>
#include <iterator>

namespace catena::webhooks::detail {

seq_ranges::range seq_ranges::add(std::uint64_t lo, std::uint64_t hi, std::vector<std::uint64_t>& merged)
{
    auto it = m_.upper_bound(lo);
    if(it != m_.begin())
    {
        auto prev = std::prev(it);
        if(prev->second + 1 >= lo)
        {
            lo = prev->first;
            hi = std::max(hi, prev->second);
            it = prev;
            ++it;
        }
    }
    while(it != m_.end() && it->first <= hi + 1)
    {
        hi = std::max(hi, it->second);
        if(it->first != lo)
            merged.push_back(it->first);
        it = m_.erase(it);
    }
    m_[lo] = hi;
    return {lo, hi};
}

std::deque<seq_ranges::range> seq_ranges::gaps(std::uint64_t from, std::uint64_t upto) const
{
    std::deque<range> out;
    for(auto const& [lo, hi] : m_)
    {
        if(from > upto || lo > upto)
            break;
        if(lo > from)
            out.emplace_back(from, lo - 1);
        from = std::max(from, hi + 1);
    }
    if(from <= upto)
        out.emplace_back(from, upto);
    return out;
}

} // namespace catena::webhooks::detail
