// SPDX-License-Identifier: BSL-1.0
// lib/processing/reorderer.hpp - holds events for a bounded window and releases them in occurrence order.
#ifndef CATENA_WEBHOOKS_PROCESSING_REORDERER_HPP
#define CATENA_WEBHOOKS_PROCESSING_REORDERER_HPP

#include <catena/webhooks/timestamp.hpp>

#include "state/release_order.hpp"

#include <chrono>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>

namespace catena::webhooks::detail {

/** Holds values for `window` after their arrival and releases them in key order.

    When the oldest arrival has waited its window, its key becomes the watermark and every
    value at or below the watermark is released, in key order; a value arriving below the
    watermark goes out at the next release. The buffer is bounded in count and bytes: beyond
    either bound the smallest values are released early rather than intake being blocked.

    @par Thread safety
    Distinct objects: safe. Shared objects: unsafe.
*/
template<class T>
class reorderer
{
public:
    reorderer(std::chrono::milliseconds window, std::size_t max_count, std::size_t max_bytes)
        : window_(window), max_count_(max_count == 0 ? 1 : max_count), max_bytes_(max_bytes)
    {
    }

    void push(order_key key, T value, std::size_t bytes, timestamp now)
    {
        auto n = std::make_unique<node>(node{std::move(key), std::move(value), bytes, now + window_,
                                             first_arrival_ + arrivals_.size()});
        by_key_.insert(n.get());
        bytes_ += bytes;
        arrivals_.push_back(std::move(n));
    }

    /** Calls f(order_key const&, T&&) for the values due at `now`, in key order: at most
        `max_due` of them (the rest stay for the next call), and beyond that only as many of
        the smallest as the bounds require. True when due values remain. */
    template<class F>
    bool release(timestamp now, F&& f, std::size_t max_due = static_cast<std::size_t>(-1))
    {
        // Arrivals fold into the watermark once, as they fall due (a release in slices does
        // not walk the due ones again). A released arrival's slot is empty and is passed over:
        // the arrivals after it are due no earlier, so the walk stops where it would have.
        for(; considered_ < arrivals_.size(); ++considered_)
        {
            auto const& n = arrivals_[considered_];
            if(!n)
                continue;
            if(n->due > now)
                break;
            if(!watermark_ || *watermark_ < n->key)
                watermark_ = n->key;
        }
        auto const due = [this] { return watermark_ && !by_key_.empty() && !(*watermark_ < (*by_key_.begin())->key); };
        std::size_t released = 0;
        while(!by_key_.empty() && (by_key_.size() > max_count_ || bytes_ > max_bytes_ || (due() && released < max_due)))
        {
            node* n = *by_key_.begin();
            if(!watermark_ || !(n->key < *watermark_ || n->key == *watermark_))
            {
                ++released_early_;
                watermark_ = n->key;
            }
            take(n, f);
            ++released;
        }
        trim();
        return due();
    }

    /** Calls f(order_key const&, T&&) for every value held, in key order (on stop). */
    template<class F>
    void flush(F&& f)
    {
        while(!by_key_.empty())
        {
            node* n = *by_key_.begin();
            if(!watermark_ || *watermark_ < n->key)
                watermark_ = n->key;
            take(n, f);
        }
        first_arrival_ += arrivals_.size();
        arrivals_.clear();
        considered_ = 0;
    }

    /// When the next value falls due, if any is held.
    std::optional<timestamp> next_due() const
    {
        // After trim() the first arrival is one not released yet, if any.
        for(auto const& n : arrivals_)
            if(n)
                return n->due;
        return std::nullopt;
    }

    /// True when a release is needed now to get back within the bounds.
    bool over_bounds() const noexcept { return by_key_.size() > max_count_ || bytes_ > max_bytes_; }

    std::size_t size() const noexcept { return by_key_.size(); }
    std::size_t bytes() const noexcept { return bytes_; }
    std::uint64_t released_early() const noexcept { return released_early_; }
    /// The largest key released so far.
    std::optional<order_key> const& watermark() const noexcept { return watermark_; }

private:
    struct node
    {
        order_key key;
        T value;
        std::size_t bytes;
        timestamp due;
        std::uint64_t arrival; // its number: arrivals_[arrival - first_arrival_]
    };
    struct by_key
    {
        bool operator()(node const* a, node const* b) const { return a->key < b->key; }
    };

    template<class F>
    void take(node* n, F& f)
    {
        by_key_.erase(by_key_.begin());
        bytes_ -= n->bytes;
        // The node goes now, not when its arrival reaches the front: an early arrival held long
        // (a newer key) would otherwise keep every released arrival after it and free them all
        // in one call (a hundred thousand nodes: tens of milliseconds on the processing thread).
        auto owned = std::move(arrivals_[n->arrival - first_arrival_]);
        f(std::as_const(owned->key), std::move(owned->value));
    }

    // Drops the empty slots of released arrivals at the front of the arrival order.
    void trim()
    {
        while(!arrivals_.empty() && !arrivals_.front())
        {
            arrivals_.pop_front();
            ++first_arrival_;
            if(considered_ > 0)
                --considered_;
        }
    }

    std::chrono::milliseconds window_;
    std::size_t max_count_;
    std::size_t max_bytes_;
    std::size_t bytes_ = 0;
    std::uint64_t released_early_ = 0;
    std::optional<order_key> watermark_;
    std::multiset<node*, by_key> by_key_;
    std::deque<std::unique_ptr<node>> arrivals_; // in arrival order; empty once released
    std::uint64_t first_arrival_ = 0;            // the number of arrivals_.front()
    std::size_t considered_ = 0; // arrivals_ folded into the watermark (a prefix)
};

} // namespace catena::webhooks::detail

#endif
