// SPDX-License-Identifier: BSL-1.0
// lib/store/memory.cpp - the in-memory store: a bounded inbox; nothing survives the process.
#include "store/memory.hpp"

#include <deque>
#include <mutex>

namespace catena::webhooks::detail {

namespace {

class memory_store final : public store
{
public:
    explicit memory_store(store_limits l) : limits_(l), request_ids_(l) {}

    void append(inbox_entry e, timestamp now, append_handler done) override
    {
        auto const rid = request_ids::keys_of(e);
        auto status = append_status::kept;
        std::uint64_t sequence = 0;
        {
            std::lock_guard lock(mutex_);
            status = request_ids_.kept(e, rid, now);
            if(status != append_status::kept)
            {
                // a copy of a request or envelope kept recently: answered 202, not kept again
            }
            else if(entries_.size() >= limits_.max_backlog_entries || bytes_ + e.bytes() > limits_.max_backlog_bytes)
                status = append_status::full;
            else
            {
                sequence = e.sequence = next_sequence_++;
                request_ids_.remember(e, rid, now);
                bytes_ += e.bytes();
                entries_.push_back(std::move(e));
            }
        }
        done(status, sequence, status == append_status::full ? error_code(error::inbox_full) : error_code{});
    }

    std::vector<inbox_entry> take(std::size_t max) override
    {
        std::vector<inbox_entry> v;
        std::lock_guard lock(mutex_);
        while(v.size() < max && !entries_.empty())
        {
            bytes_ -= entries_.front().bytes();
            v.push_back(std::move(entries_.front()));
            entries_.pop_front();
        }
        return v;
    }

    void commit(progress p) override
    {
        std::lock_guard lock(mutex_);
        for(auto& d : p.dead_letters)
        {
            kept_letter k;
            k.body = std::move(d.body);
            k.meta.id = next_dead_id_++;
            k.meta.created_at = system_now();
            k.meta.body_bytes = k.body.size();
            k.meta.letter = std::move(d);
            dead_.push_back(std::move(k));
            if(dead_.size() > max_dead_letters)
                dead_.pop_front();
        }
    }

    error_code recover(recovered_state& out, timestamp) override
    {
        out = {};
        return {};
    }

    std::size_t backlog() const override
    {
        std::lock_guard lock(mutex_);
        return entries_.size();
    }
    std::size_t backlog_bytes() const override
    {
        std::lock_guard lock(mutex_);
        return bytes_;
    }
    std::optional<timestamp> oldest_unprocessed() const override
    {
        std::lock_guard lock(mutex_);
        if(entries_.empty())
            return std::nullopt;
        return entries_.front().received_at;
    }
    bool recall(identity_key const&) override { return false; }
    bool keeps_state() const noexcept override { return false; }
    std::uint64_t size_on_disk() const override { return 0; }

    std::vector<stored_dead_letter> dead_letters(std::size_t max) const override
    {
        std::lock_guard lock(mutex_);
        auto const n = std::min(max, dead_.size());
        std::vector<stored_dead_letter> v;
        v.reserve(n);
        for(auto it = dead_.end() - static_cast<std::ptrdiff_t>(n); it != dead_.end(); ++it)
            v.push_back(it->meta);
        return v;
    }
    std::optional<stored_dead_letter> dead_letter(std::int64_t id) const override
    {
        std::lock_guard lock(mutex_);
        for(auto const& k : dead_)
            if(k.meta.id == id)
            {
                auto x = k.meta;
                x.letter.body = k.body;
                return x;
            }
        return std::nullopt;
    }

    bool sync_until(std::chrono::steady_clock::time_point) override { return true; }

private:
    static constexpr std::size_t max_dead_letters = 1000;

    store_limits const limits_;
    mutable std::mutex mutex_;
    std::deque<inbox_entry> entries_;
    std::size_t bytes_ = 0;
    std::uint64_t next_sequence_ = 1;
    request_ids request_ids_;
    // A letter's body apart from what a listing copies.
    struct kept_letter
    {
        stored_dead_letter meta; // letter.body empty
        std::string body;
    };
    std::deque<kept_letter> dead_;
    std::int64_t next_dead_id_ = 1;
};

} // namespace

std::unique_ptr<store> make_memory_store(store_limits limits) { return std::make_unique<memory_store>(limits); }

} // namespace catena::webhooks::detail
