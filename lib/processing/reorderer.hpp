// SPDX-License-Identifier: BSL-1.0
// lib/processing/reorderer.hpp - holds events for a bounded window and releases them in occurrence order.
#ifndef CATENA_WEBHOOKS_PROCESSING_REORDERER_HPP
#define CATENA_WEBHOOKS_PROCESSING_REORDERER_HPP

#include <catena/webhooks/timestamp.hpp>

#include "state/release_order.hpp"

#include <algorithm>
#include <chrono>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <utility>
#include <vector>

namespace catena::webhooks::detail {

/** Holds values for `window` after their arrival and releases them in key order.

    When the oldest arrival has waited its window, its key becomes the watermark and every
    value at or below the watermark is released, in key order; a value arriving below the
    watermark goes out at the next release. The buffer is bounded in count and bytes: beyond
    either bound the smallest values are released early rather than intake being blocked.
    Values with equal keys go out in their arrival order.

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
        // The spares' room is taken once, here, so that keeping a released node never allocates.
        spare_.reserve(max_spare);
    }

    reorderer(reorderer const&) = delete;
    reorderer& operator=(reorderer const&) = delete;

    ~reorderer()
    {
        for(auto const& e : heap_)
        {
            std::destroy_at(&e.n->value());
            delete e.n;
        }
        for(node* n : spare_)
            delete n;
    }

    /// Holds `value` under a copy of `key` (into the memory of a released key where there is one).
    void push(order_key const& key, T value, std::size_t bytes, timestamp now)
    {
        auto const arrival = first_arrival_ + arrivals_.size();
        node* const n = make_node(key);
        n->bytes = bytes;
        n->due = now + window_;
        n->arrival = arrival;
        // Both containers grow before the node joins either, so a failure leaves neither changed.
        try
        {
            ::new(static_cast<void*>(n->storage)) T(std::move(value));
            try
            {
                if(heap_.size() == heap_.capacity())
                    heap_.reserve(std::max<std::size_t>(64, heap_.capacity() * 2));
                arrivals_.reserve_one();
            }
            catch(...)
            {
                std::destroy_at(&n->value());
                throw;
            }
        }
        catch(...)
        {
            recycle(n);
            throw;
        }
        heap_.push_back(entry{n->key.time, arrival, n});
        std::push_heap(heap_.begin(), heap_.end(), later{});
        bytes_ += bytes;
        arrivals_.push_back(n);
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
            node const* n = arrivals_[considered_];
            if(!n)
                continue;
            if(n->due > now)
                break;
            if(!watermark_ || *watermark_ < n->key)
                watermark_ = n->key;
        }
        auto const due = [this] { return watermark_ && !heap_.empty() && !(*watermark_ < smallest().key); };
        std::size_t released = 0;
        while(!heap_.empty() && (heap_.size() > max_count_ || bytes_ > max_bytes_ || (due() && released < max_due)))
        {
            node const& n = smallest();
            if(!watermark_ || *watermark_ < n.key)
            {
                ++released_early_;
                watermark_ = n.key;
            }
            take(f);
            ++released;
        }
        trim();
        return due();
    }

    /** Calls f(order_key const&, T&&) for every value held, in key order (on stop). */
    template<class F>
    void flush(F&& f)
    {
        while(!heap_.empty())
        {
            node const& n = smallest();
            if(!watermark_ || *watermark_ < n.key)
                watermark_ = n.key;
            take(f);
        }
        first_arrival_ += arrivals_.size();
        arrivals_.clear();
        considered_ = 0;
    }

    /// When the next value falls due, if any is held.
    std::optional<timestamp> next_due() const
    {
        // After trim() the first arrival is one not released yet, if any.
        for(std::size_t i = 0; i < arrivals_.size(); ++i)
            if(node const* n = arrivals_[i])
                return n->due;
        return std::nullopt;
    }

    /// True when a release is needed now to get back within the bounds.
    bool over_bounds() const noexcept { return heap_.size() > max_count_ || bytes_ > max_bytes_; }

    std::size_t size() const noexcept { return heap_.size(); }
    std::size_t bytes() const noexcept { return bytes_; }
    std::uint64_t released_early() const noexcept { return released_early_; }
    /// The largest key released so far.
    std::optional<order_key> const& watermark() const noexcept { return watermark_; }

private:
    // A node's key lives as long as the node (a released node's key keeps its strings' memory
    // for the next push); its value only while it is held.
    struct node
    {
        order_key key;
        std::size_t bytes = 0;
        timestamp due{};
        std::uint64_t arrival = 0; // its number: arrivals_[arrival - first_arrival_]
        alignas(T) unsigned char storage[sizeof(T)];

        T& value() noexcept { return *std::launder(reinterpret_cast<T*>(storage)); }
    };

    // An element of the heap: the key's time and the arrival number beside the node, so that
    // most comparisons (times differ) read no node.
    struct entry
    {
        timestamp time;
        std::uint64_t arrival;
        node* n;
    };

    // The release order: key, then arrival (equal keys in the order they came, as the
    // std::multiset this heap replaced kept them). std::*_heap keep the largest first, so
    // the comparison is "comes later".
    struct later
    {
        bool operator()(entry const& a, entry const& b) const noexcept
        {
            if(a.time != b.time)
                return b.time < a.time;
            if(auto const c = a.n->key <=> b.n->key; c != 0)
                return c > 0;
            return b.arrival < a.arrival;
        }
    };

    // The arrival order: a ring of node pointers (empty once released) that reuses its array.
    class arrival_ring
    {
    public:
        std::size_t size() const noexcept { return size_; }
        bool empty() const noexcept { return size_ == 0; }
        node* operator[](std::size_t i) const noexcept { return slots_[(head_ + i) & (slots_.size() - 1)]; }
        node*& operator[](std::size_t i) noexcept { return slots_[(head_ + i) & (slots_.size() - 1)]; }
        node* front() const noexcept { return slots_[head_]; }
        void pop_front() noexcept
        {
            head_ = (head_ + 1) & (slots_.size() - 1);
            --size_;
        }
        void clear() noexcept
        {
            head_ = 0;
            size_ = 0;
        }
        // Makes room for one more (before anything changes, so that push_back cannot fail).
        void reserve_one()
        {
            if(size_ < slots_.size())
                return;
            std::vector<node*> bigger(slots_.empty() ? 64 : slots_.size() * 2);
            for(std::size_t i = 0; i < size_; ++i)
                bigger[i] = (*this)[i];
            slots_.swap(bigger);
            head_ = 0;
        }
        void push_back(node* n) noexcept
        {
            slots_[(head_ + size_) & (slots_.size() - 1)] = n;
            ++size_;
        }

    private:
        std::vector<node*> slots_; // a power of two in size
        std::size_t head_ = 0;
        std::size_t size_ = 0;
    };

    node const& smallest() const noexcept { return *heap_.front().n; }

    template<class F>
    void take(F& f)
    {
        std::pop_heap(heap_.begin(), heap_.end(), later{});
        node* const n = heap_.back().n;
        heap_.pop_back();
        bytes_ -= n->bytes;
        // The value goes now, not when its arrival reaches the front: an early arrival held long
        // (a newer key) would otherwise keep every released arrival after it and free them all
        // in one call (a hundred thousand values: tens of milliseconds on the processing thread).
        arrivals_[n->arrival - first_arrival_] = nullptr;
        struct done
        {
            reorderer* self;
            node* n;
            ~done()
            {
                std::destroy_at(&n->value());
                self->recycle(n);
            }
        } const guard{this, n};
        f(std::as_const(n->key), std::move(n->value()));
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

    // Released nodes are kept for reuse, up to a bound: in a steady flow every push finds the
    // node (and the key's memory) of a released value, and a burst gives its memory back once
    // it has gone.
    static constexpr std::size_t max_spare = 1024;

    node* make_node(order_key const& key)
    {
        if(spare_.empty())
            return new node{key, 0, timestamp{}, 0, {}};
        node* const n = spare_.back();
        n->key = key; // may throw (bad_alloc) before the node leaves the spares
        spare_.pop_back();
        return n;
    }

    void recycle(node* n) noexcept
    {
        if(spare_.size() < max_spare)
            spare_.push_back(n); // within the capacity reserved at construction: cannot throw
        else
            delete n;
    }

    std::chrono::milliseconds window_;
    std::size_t max_count_;
    std::size_t max_bytes_;
    std::size_t bytes_ = 0;
    std::uint64_t released_early_ = 0;
    std::optional<order_key> watermark_;
    std::vector<entry> heap_;    // the held values, a binary heap in release order
    arrival_ring arrivals_;      // in arrival order; empty once released
    std::vector<node*> spare_;   // memory of released nodes, for the next pushes
    std::uint64_t first_arrival_ = 0; // the number of arrivals_.front()
    std::size_t considered_ = 0;      // arrivals_ folded into the watermark (a prefix)
};

} // namespace catena::webhooks::detail

#endif
