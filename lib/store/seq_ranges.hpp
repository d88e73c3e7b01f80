// SPDX-License-Identifier: BSL-1.0
// lib/store/seq_ranges.hpp - processed inbox sequences as disjoint ranges.
#ifndef CATENA_WEBHOOKS_STORE_SEQ_RANGES_HPP
#define CATENA_WEBHOOKS_STORE_SEQ_RANGES_HPP

#include <cstdint>
#include <deque>
#include <map>
#include <utility>
#include <vector>

namespace catena::webhooks::detail {

/** Processed inbox sequences: disjoint inclusive ranges, none adjacent to another.

    Deliveries finish nearly in order, so a commit mostly extends one range; the store keeps
    one row per range instead of a flag per delivery.
*/
class seq_ranges
{
public:
    using range = std::pair<std::uint64_t, std::uint64_t>;

    /// Adds [lo, hi]. Returns the range that now holds it; the starts of the ranges merged
    /// into it (other than its own) go to `merged`.
    range add(std::uint64_t lo, std::uint64_t hi, std::vector<std::uint64_t>& merged);

    /// The sequences in [from, upto] outside every range.
    std::deque<range> gaps(std::uint64_t from, std::uint64_t upto) const;

    std::map<std::uint64_t, std::uint64_t> const& all() const noexcept { return m_; }
    void clear() { m_.clear(); }
    /// Puts back a range as stored (no merging: stored ranges are disjoint already).
    void put(std::uint64_t lo, std::uint64_t hi) { m_[lo] = hi; }

private:
    std::map<std::uint64_t, std::uint64_t> m_;
};

} // namespace catena::webhooks::detail

#endif
