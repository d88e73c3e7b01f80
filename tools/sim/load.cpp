// SPDX-License-Identifier: BSL-1.0
// tools/sim/load.cpp - the traffic of the load and prepare modes: friendly, realistic, a dead-letter replay.
#include "load.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace catena::webhooks::sim {

namespace json = boost::json;
using namespace std::chrono;

namespace {

constexpr std::size_t remembered = 4096;

// Records in a realistic telematics delivery: mostly a few, a long tail to 50.
int record_count(std::mt19937_64& rng)
{
    std::uniform_real_distribution<double> u(0, 1);
    double const x = u(rng);
    if(x < 0.70)
        return 1 + static_cast<int>(rng() % 5);  // 1-5
    if(x < 0.95)
        return 6 + static_cast<int>(rng() % 15); // 6-20
    return 21 + static_cast<int>(rng() % 30);    // 21-50
}

void set_times(json::object& r, timestamp occurred, timestamp created)
{
    if(r.contains("occurred_at"))
        r["occurred_at"] = format_rfc3339(occurred);
    if(r.contains("created_at"))
        r["created_at"] = format_rfc3339(created);
    if(r.contains("updated_at"))
        r["updated_at"] = format_rfc3339(created);
}

} // namespace

std::optional<load_profile> parse_load_profile(std::string_view name)
{
    if(name == "friendly")
        return load_profile::friendly;
    if(name == "realistic")
        return load_profile::realistic;
    if(name == "replay")
        return load_profile::replay;
    return std::nullopt;
}

load_stream::load_stream(load_profile p, std::string webhook_id, std::uint64_t seed)
    : profile_(p), webhook_id_(std::move(webhook_id)), rng_(seed)
{
}

load_stream::delivery load_stream::fresh(std::size_t n)
{
    delivery d;
    d.m = load_message(rng_, webhook_id_, n);
    if(profile_ == load_profile::friendly)
        return d;
    auto const now = system_now();
    std::uniform_int_distribution<std::int64_t> lag_ms(0, 120'000);
    std::uniform_int_distribution<std::int64_t> age_s(86'400, 14 * 86'400);
    if(profile_ == load_profile::realistic)
    {
        if(d.m.event_name == "vehicle_location.added")
        {
            // More records, each with its own lag behind the send.
            auto const proto = d.m.data.front().as_object();
            d.m.data.clear();
            for(int k = 0, n_records = record_count(rng_); k < n_records; ++k)
            {
                auto r = proto;
                r["id"] = random_uuid(rng_);
                set_times(r, now - milliseconds(lag_ms(rng_)), now);
                d.m.data.push_back(std::move(r));
            }
        }
        if(rng_() % 10 == 0)
            d.m.event_id.clear(); // "id": null
        return d;
    }
    // replay: the whole delivery happened days ago.
    auto const then = now - seconds(age_s(rng_));
    d.m.event_id = uuid_v7(then, rng_);
    for(auto& v : d.m.data)
        set_times(v.as_object(), then - milliseconds(lag_ms(rng_)), then);
    return d;
}

load_stream::delivery load_stream::next(std::size_t n)
{
    delivery d;
    bool const again =
        !sent_.empty() && ((profile_ == load_profile::realistic && rng_() % 20 == 0) ||
                           (profile_ == load_profile::replay && rng_() % 2 == 0));
    if(again)
    {
        d = sent_[rng_() % sent_.size()];
        d.repeat = true;
        if(profile_ == load_profile::realistic)
            ++d.attempt; // Catena's retry: the same envelope, the next attempt
        return d;
    }
    d = fresh(n);
    sent_.push_back(d);
    if(sent_.size() > remembered)
        sent_.pop_front();
    return d;
}

} // namespace catena::webhooks::sim
