// SPDX-License-Identifier: BSL-1.0
// lib/providers/envelope_peek.cpp - the envelope's top-level "id", read from the first pieces of a body.
#include "providers/envelope_peek.hpp"

#include <boost/json/basic_parser_impl.hpp>

#include <cstdint>

namespace catena::webhooks::detail {

namespace {

namespace json = boost::json;
using json_ec = boost::system::error_code;

// Ids are UUIDs; anything much longer is not one worth remembering.
constexpr std::size_t max_id = 128;

struct handler
{
    static constexpr std::size_t max_object_size = std::size_t(-1);
    static constexpr std::size_t max_array_size = std::size_t(-1);
    static constexpr std::size_t max_key_size = std::size_t(-1);
    static constexpr std::size_t max_string_size = std::size_t(-1);

    int depth = 0;
    bool key_is_id = false; // the value being read belongs to a top-level "id"
    std::string key;
    std::string id;
    bool found = false;
    bool given_up = false;

    // Stopping the parser: any error will do, found/given_up say why.
    bool stop(json_ec& ec)
    {
        ec = json::error::exception;
        return false;
    }
    bool value_at_top(json_ec& ec)
    {
        // A top-level value other than a string under "id": nothing to find there.
        if(depth == 1 && key_is_id)
        {
            given_up = true;
            return stop(ec);
        }
        return true;
    }

    bool on_document_begin(json_ec&) { return true; }
    bool on_document_end(json_ec&) { return true; }
    bool on_object_begin(json_ec& ec)
    {
        if(!value_at_top(ec))
            return false;
        ++depth;
        return true;
    }
    bool on_object_end(std::size_t, json_ec& ec)
    {
        if(--depth == 0)
        {
            given_up = true; // the envelope ended without an id
            return stop(ec);
        }
        return true;
    }
    bool on_array_begin(json_ec& ec)
    {
        if(depth == 0)
        {
            given_up = true;
            return stop(ec);
        }
        if(!value_at_top(ec))
            return false;
        ++depth;
        return true;
    }
    bool on_array_end(std::size_t, json_ec&)
    {
        --depth;
        return true;
    }
    bool on_key_part(json::string_view s, std::size_t, json_ec&)
    {
        if(depth == 1 && key.size() + s.size() <= 2)
            key.append(s.data(), s.size());
        else if(depth == 1)
            key = "xxx";
        return true;
    }
    bool on_key(json::string_view s, std::size_t n, json_ec& ec)
    {
        on_key_part(s, n, ec);
        key_is_id = depth == 1 && key == "id";
        key.clear();
        return true;
    }
    bool on_string_part(json::string_view s, std::size_t, json_ec& ec)
    {
        if(depth == 1 && key_is_id)
        {
            if(id.size() + s.size() > max_id)
            {
                given_up = true;
                return stop(ec);
            }
            id.append(s.data(), s.size());
        }
        return true;
    }
    bool on_string(json::string_view s, std::size_t n, json_ec& ec)
    {
        if(!on_string_part(s, n, ec))
            return false;
        if(depth == 1 && key_is_id)
        {
            found = true;
            return stop(ec);
        }
        return true;
    }
    bool on_number_part(json::string_view, json_ec&) { return true; }
    bool on_int64(std::int64_t, json::string_view, json_ec& ec) { return value_at_top(ec); }
    bool on_uint64(std::uint64_t, json::string_view, json_ec& ec) { return value_at_top(ec); }
    bool on_double(double, json::string_view, json_ec& ec) { return value_at_top(ec); }
    bool on_bool(bool, json_ec& ec) { return value_at_top(ec); }
    bool on_null(json_ec& ec) { return value_at_top(ec); }
    bool on_comment_part(json::string_view, json_ec&) { return true; }
    bool on_comment(json::string_view, json_ec&) { return true; }
};

} // namespace

struct envelope_peek::impl
{
    json::basic_parser<handler> parser{json::parse_options{}};
    bool done = false;
    std::string none;
};

envelope_peek::envelope_peek() : impl_(std::make_unique<impl>()) {}
envelope_peek::~envelope_peek() = default;

void envelope_peek::reset()
{
    impl_->parser.reset();
    auto& h = impl_->parser.handler();
    h.depth = 0;
    h.key_is_id = false;
    h.key.clear();
    h.id.clear();
    h.found = false;
    h.given_up = false;
    impl_->done = false;
}

void envelope_peek::feed(std::string_view piece)
{
    if(impl_->done)
        return;
    json_ec ec;
    impl_->parser.write_some(true, piece.data(), piece.size(), ec);
    auto const& h = impl_->parser.handler();
    if(ec || h.found || h.given_up)
        impl_->done = true;
}

bool envelope_peek::done() const noexcept { return impl_->done; }

std::string const& envelope_peek::id() const noexcept
{
    auto const& h = impl_->parser.handler();
    return h.found ? h.id : impl_->none;
}

} // namespace catena::webhooks::detail
