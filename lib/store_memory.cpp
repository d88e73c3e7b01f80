// SPDX-License-Identifier: BSL-1.0
// lib/store_memory.cpp - the in-memory store: a bounded inbox; nothing survives the process.
#include "detail/store.hpp"

#include <deque>
#include <mutex>

namespace catena::webhooks::detail {

namespace {

class memory_store final : public store
{
public:
    explicit memory_store(store_limits l)
        : inbox_(l.max_backlog_entries, l.max_backlog_bytes, l.request_id_memory, l.max_request_ids)
    {
    }

    void append(inbox_entry e, timestamp now, append_handler done) override
    {
        switch(inbox_.append(e, now))
        {
        case memory_inbox::append_result::kept: return done(append_status::kept, e.sequence, {});
        case memory_inbox::append_result::duplicate: return done(append_status::duplicate, 0, {});
        case memory_inbox::append_result::full: return done(append_status::full, 0, error::inbox_full);
        }
    }

    std::vector<inbox_entry> take(std::size_t max) override
    {
        std::vector<inbox_entry> v;
        while(v.size() < max)
        {
            auto e = inbox_.pop();
            if(!e)
                break;
            v.push_back(std::move(*e));
        }
        return v;
    }

    void commit(progress p) override
    {
        std::lock_guard lock(mutex_);
        for(auto& d : p.dead_letters)
        {
            dead_.push_back(std::move(d));
            if(dead_.size() > 1000)
                dead_.pop_front();
        }
    }

    error_code recover(recovered_state& out, timestamp) override
    {
        out = {};
        return {};
    }

    std::size_t backlog() const override { return inbox_.depth(); }
    std::size_t backlog_bytes() const override { return inbox_.bytes(); }
    std::optional<timestamp> oldest_unprocessed() const override { return inbox_.oldest_received(); }
    bool recall(identity_key const&) override { return false; }
    bool keeps_state() const noexcept override { return false; }
    std::uint64_t size_on_disk() const override { return 0; }

    std::vector<dead_letter> dead_letters(std::size_t max) const override
    {
        std::lock_guard lock(mutex_);
        auto const n = std::min(max, dead_.size());
        return {dead_.end() - static_cast<std::ptrdiff_t>(n), dead_.end()};
    }

    void sync() override {}

private:
    memory_inbox inbox_;
    mutable std::mutex mutex_;
    std::deque<dead_letter> dead_;
};

} // namespace

std::unique_ptr<store> make_memory_store(store_limits limits) { return std::make_unique<memory_store>(limits); }

} // namespace catena::webhooks::detail
