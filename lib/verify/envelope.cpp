// SPDX-License-Identifier: BSL-1.0
// lib/verify/envelope.cpp - Boost.JSON parsing of the envelope into typed record views.
#include <catena/webhooks/envelope.hpp>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parser.hpp>

#include <algorithm>
#include <limits>

namespace catena::webhooks {

namespace json = boost::json;

struct envelope::state
{
    // Typical deliveries fit in this block, so a reused envelope parses without touching
    // the heap. The resource is rebuilt over it for every body rather than release()d:
    // Boost.JSON's monotonic_resource keeps doubling its next block size across release(),
    // which in a long-running receiver would end in an absurd allocation request.
    alignas(std::max_align_t) unsigned char arena[16 * 1024];
    std::optional<json::monotonic_resource> resource;
    unsigned char parser_temp[4096];
    std::optional<json::parser> parser;
    std::size_t parser_depth = 0;

    // Constructed from the parser's result (never assigned: assignment would copy into the
    // storage of the value assigned to).
    std::optional<json::value> value;
    json::array* data = nullptr; // data[] within value
    std::vector<record> records;
    envelope_storage where = envelope_storage::arena;
    std::string_view version, event_name, webhook_id, id;
    std::optional<timestamp> sent_at;
    std::int64_t delivery_attempt = 0;

    json::parser& parser_for(std::size_t max_depth)
    {
        // The depth limit is fixed at construction; rebuild only when it changes.
        if(!parser || parser_depth != max_depth)
        {
            json::parse_options opts;
            opts.max_depth = max_depth;
            parser.emplace(json::storage_ptr(), opts, parser_temp, sizeof parser_temp);
            parser_depth = max_depth;
        }
        return *parser;
    }

    void clear() noexcept
    {
        records.clear();
        data = nullptr;
        value.reset();
        version = event_name = webhook_id = id = {};
        sent_at.reset();
        delivery_attempt = 0;
    }
};

envelope::envelope(envelope_storage where) : st_(std::make_unique<state>()) { st_->where = where; }
envelope::~envelope() = default;
envelope::envelope(envelope&&) noexcept = default;
envelope& envelope::operator=(envelope&&) noexcept = default;

namespace {

// Checks every string and key against the length limit. Depth is bounded by the parser,
// so the recursion is too.
bool strings_within(json::value const& v, std::size_t max) noexcept
{
    switch(v.kind())
    {
    case json::kind::string:
        return v.get_string().size() <= max;
    case json::kind::array:
        return std::all_of(v.get_array().begin(), v.get_array().end(),
                           [max](json::value const& e) { return strings_within(e, max); });
    case json::kind::object:
        return std::all_of(v.get_object().begin(), v.get_object().end(), [max](json::key_value_pair const& kv) {
            return kv.key().size() <= max && strings_within(kv.value(), max);
        });
    default:
        return true;
    }
}

enum class presence
{
    optional,
    required
};

// Reads a string field: absent or null gives an empty view (an error if required).
error_code read_string(json::object const& o, std::string_view key, std::string_view& out,
                       presence p = presence::optional) noexcept
{
    auto const* v = o.if_contains(key);
    if(!v || v->is_null())
        return p == presence::required ? make_error_code(error::missing_field) : error_code{};
    if(!v->is_string())
        return error::wrong_field_type;
    out = v->get_string();
    return {};
}

error_code read_time(json::object const& o, std::string_view key, std::optional<timestamp>& out) noexcept
{
    std::string_view s;
    if(auto ec = read_string(o, key, s))
        return ec;
    if(s.empty())
        return {};
    auto t = parse_rfc3339(s);
    if(!t)
        return error::wrong_field_type;
    out = *t;
    return {};
}

error_code read_record(json::value const& v, bool is_invitation, record& r) noexcept
{
    auto const* o = v.if_object();
    if(!o)
        return error::record_not_object;
    r.fields = o;
    if(read_string(*o, "id", r.id, presence::required) || r.id.empty())
        return error::record_missing_id;
    error_code ec;
    if((ec = read_string(*o, "fleet_id", r.fleet_id)) || (ec = read_string(*o, "fleet_ref", r.fleet_ref)) ||
       (ec = read_string(*o, "connection_id", r.connection_id)) || (ec = read_string(*o, "status", r.status)) ||
       (ec = read_string(*o, "invitation_id", r.invitation_id)) || (ec = read_time(*o, "occurred_at", r.occurred_at)) ||
       (ec = read_time(*o, "updated_at", r.updated_at)) || (ec = read_time(*o, "created_at", r.created_at)))
        return ec;
    if(is_invitation)
        r.invitation_id = r.id;
    return {};
}

std::string_view resource_of(std::string_view event_name) noexcept
{
    return event_name.substr(0, event_name.find('.'));
}

} // namespace

error_code envelope::parse(std::string_view body, envelope_limits const& limits)
{
    if(!st_)
        st_ = std::make_unique<state>();
    auto& st = *st_;
    st.clear();
    auto& parser = st.parser_for(limits.max_depth);
    parser.reset(); // drops any reference to the previous resource
    if(st.where == envelope_storage::arena)
    {
        st.resource.emplace(st.arena, sizeof st.arena);
        parser.reset(json::storage_ptr(&*st.resource));
    }
    // parser::write takes the complete text: trailing bytes after the value are an error.
    error_code ec;
    parser.write(body.data(), body.size(), ec);
    if(ec)
    {
        bool const deep = ec == json::error::too_deep;
        parser.reset();
        return deep ? error::json_too_deep : error::json_syntax;
    }
    st.value.emplace(parser.release());

    auto fail = [&st](error_code e) {
        st.clear();
        return e;
    };

    auto const* root = st.value->if_object();
    if(!root)
        return fail(error::envelope_not_object);
    if(!strings_within(*st.value, limits.max_string_bytes))
        return fail(error::string_too_long);

    if((ec = read_string(*root, "version", st.version, presence::required)) ||
       (ec = read_string(*root, "webhook_id", st.webhook_id, presence::required)) ||
       (ec = read_string(*root, "event_name", st.event_name)) || (ec = read_string(*root, "id", st.id)) ||
       (ec = read_time(*root, "timestamp", st.sent_at)))
        return fail(ec);
    if(auto const* a = root->if_contains("delivery_attempt"); a && !a->is_null())
    {
        if(auto const* i = a->if_int64())
            st.delivery_attempt = *i;
        else if(auto const* u = a->if_uint64())
            st.delivery_attempt =
                static_cast<std::int64_t>(std::min<std::uint64_t>(*u, std::numeric_limits<std::int64_t>::max()));
        else
            return fail(error::wrong_field_type);
    }

    auto* data = st.value->get_object().if_contains("data");
    if(!data || data->is_null())
        return fail(error::missing_field);
    auto* arr = data->if_array();
    if(!arr)
        return fail(error::wrong_field_type);
    st.data = arr;
    if(arr->size() > limits.max_records)
        return fail(error::too_many_records);

    bool const is_invitation = resource_of(st.event_name) == "invitation";
    st.records.resize(arr->size());
    for(std::size_t i = 0; i < arr->size(); ++i)
    {
        st.records[i] = record{};
        if(auto rec_ec = read_record((*arr)[i], is_invitation, st.records[i]))
            return fail(rec_ec);
    }
    return {};
}

error_code envelope::check_headers(std::string_view event_type, std::string_view webhook_id)
{
    BOOST_ASSERT(st_);
    auto& st = *st_;
    if(st.webhook_id != webhook_id)
        return error::webhook_id_mismatch;
    if(st.event_name.empty())
    {
        st.event_name = event_type;
        // Invitation records link to themselves; that depends on the name just learnt.
        if(resource_of(st.event_name) == "invitation")
            for(auto& r : st.records)
                r.invitation_id = r.id;
    }
    else if(!event_type.empty() && event_type != st.event_name)
        return error::event_name_mismatch;
    return {};
}

std::string_view envelope::version() const noexcept { return st_->version; }
std::string_view envelope::event_name() const noexcept { return st_->event_name; }
std::string_view envelope::resource() const noexcept { return resource_of(st_->event_name); }

std::string_view envelope::action() const noexcept
{
    auto const dot = st_->event_name.find('.');
    return dot == std::string_view::npos ? std::string_view{} : st_->event_name.substr(dot + 1);
}

std::string_view envelope::webhook_id() const noexcept { return st_->webhook_id; }
std::string_view envelope::id() const noexcept { return st_->id; }
std::optional<timestamp> envelope::sent_at() const noexcept { return st_->sent_at; }
std::int64_t envelope::delivery_attempt() const noexcept { return st_->delivery_attempt; }
std::span<record const> envelope::records() const noexcept { return st_->records; }
boost::json::object envelope::take_fields(std::size_t i)
{
    BOOST_ASSERT(st_ && st_->data && i < st_->records.size());
    // Moves when the storages are equal (heap), else copies into the default storage.
    return json::object(std::move((*st_->data)[i].get_object()), json::storage_ptr());
}

boost::json::value const& envelope::json() const noexcept
{
    static json::value const null_value;
    return st_->value ? *st_->value : null_value;
}

} // namespace catena::webhooks
