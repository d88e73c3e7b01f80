// SPDX-License-Identifier: BSL-1.0
// fuzz/fuzz_event_envelope.cpp - envelope and record parsing of decompressed bodies.
//
// Input: one option byte (bit 0: tight limits, bit 1: heap storage), then the JSON body.
// Invariants:
// - envelope::parse succeeds exactly when Boost.JSON reads the body (within the depth
//   limit) as the envelope's documented shape: an object whose strings and keys are within
//   the length limit; `version` and `webhook_id` strings; `event_name`, `id` strings or null;
//   `timestamp` null, "" or RFC 3339; `delivery_attempt` null or an integer; `data` an array
//   of at most max_records objects, each with a non-empty string `id`, string-or-null
//   `fleet_id`, `fleet_ref`, `connection_id`, `invitation_id`, `status`, and time fields
//   (`occurred_at`, `updated_at`, `created_at`) null, "" or RFC 3339.
// - A parsed envelope says what the JSON says: the same top-level values, the same records
//   in order with the same ids, links, times and fields (an invitation's records link to
//   themselves), and take_fields gives each record's object back.
// - check_headers fills an absent event name and refuses another subscription's id.
// - Split in pieces (how processing reads a large delivery), the same records in order.
// - The envelope is reused: a failed parse leaves it empty, and parsing the body again gives
//   the same result.
#include <catena/webhooks/envelope.hpp>

#include "fuzz_support.hpp"
#include "processing/envelope_split.hpp"

#include <boost/json/parse.hpp>

#include <limits>
#include <string>
#include <vector>

namespace {

namespace cw = catena::webhooks;
namespace json = boost::json;
using cw::fuzz::require;

bool strings_within(json::value const& v, std::size_t max)
{
    if(auto const* s = v.if_string())
        return s->size() <= max;
    if(auto const* a = v.if_array())
    {
        for(auto const& e : *a)
            if(!strings_within(e, max))
                return false;
        return true;
    }
    if(auto const* o = v.if_object())
    {
        for(auto const& kv : *o)
            if(kv.key().size() > max || !strings_within(kv.value(), max))
                return false;
        return true;
    }
    return true;
}

// A field that may be absent or null, else must be a string: its text ("" when absent).
bool optional_string(json::object const& o, std::string_view key, std::string_view& out)
{
    out = {};
    auto const* v = o.if_contains(key);
    if(!v || v->is_null())
        return true;
    if(!v->is_string())
        return false;
    out = v->get_string();
    return true;
}

bool optional_time(json::object const& o, std::string_view key, std::optional<cw::timestamp>& out)
{
    std::string_view s;
    out.reset();
    if(!optional_string(o, key, s))
        return false;
    if(s.empty())
        return true;
    auto const t = cw::parse_rfc3339(s);
    if(t)
        out = *t;
    return t.has_value();
}

/// What the documented shape says of the body, read from Boost.JSON's own value.
struct reference
{
    json::value doc;
    std::string_view version, webhook_id, event_name, id;
    std::optional<cw::timestamp> sent_at;
    std::int64_t delivery_attempt = 0;
    std::vector<cw::record> records;
};

bool reference_shape(json::value&& v, cw::envelope_limits const& lim, reference& r)
{
    r.doc = std::move(v);
    auto const* root = r.doc.if_object();
    if(!root || !strings_within(r.doc, lim.max_string_bytes))
        return false;
    auto const* version = root->if_contains("version");
    auto const* webhook = root->if_contains("webhook_id");
    if(!version || !version->is_string() || !webhook || !webhook->is_string())
        return false;
    r.version = version->get_string();
    r.webhook_id = webhook->get_string();
    if(!optional_string(*root, "event_name", r.event_name) || !optional_string(*root, "id", r.id) ||
       !optional_time(*root, "timestamp", r.sent_at))
        return false;
    if(auto const* a = root->if_contains("delivery_attempt"); a && !a->is_null())
    {
        if(a->is_int64())
            r.delivery_attempt = a->get_int64();
        else if(a->is_uint64())
            r.delivery_attempt = a->get_uint64() > std::uint64_t(std::numeric_limits<std::int64_t>::max())
                                     ? std::numeric_limits<std::int64_t>::max()
                                     : static_cast<std::int64_t>(a->get_uint64());
        else
            return false;
    }
    auto const* data = root->if_contains("data");
    if(!data || !data->is_array() || data->get_array().size() > lim.max_records)
        return false;
    bool const invitation = r.event_name.substr(0, r.event_name.find('.')) == "invitation";
    for(auto const& e : data->get_array())
    {
        auto const* o = e.if_object();
        if(!o)
            return false;
        cw::record rec;
        auto const* id = o->if_contains("id");
        if(!id || !id->is_string() || id->get_string().empty())
            return false;
        rec.id = id->get_string();
        if(!optional_string(*o, "fleet_id", rec.fleet_id) || !optional_string(*o, "fleet_ref", rec.fleet_ref) ||
           !optional_string(*o, "connection_id", rec.connection_id) || !optional_string(*o, "status", rec.status) ||
           !optional_string(*o, "invitation_id", rec.invitation_id) ||
           !optional_time(*o, "occurred_at", rec.occurred_at) || !optional_time(*o, "updated_at", rec.updated_at) ||
           !optional_time(*o, "created_at", rec.created_at))
            return false;
        if(invitation)
            rec.invitation_id = rec.id;
        rec.fields = o;
        r.records.push_back(rec);
    }
    return true;
}

void same_as_reference(cw::envelope const& e, reference const& r)
{
    require(e.version() == r.version && e.webhook_id() == r.webhook_id && e.event_name() == r.event_name &&
                e.id() == r.id && e.sent_at() == r.sent_at && e.delivery_attempt() == r.delivery_attempt,
            "the envelope's top-level values differ from the JSON's");
    require(e.json() == r.doc, "the envelope's JSON differs from Boost.JSON's");
    require(e.records().size() == r.records.size(), "the envelope has another number of records than data[]");
    for(std::size_t i = 0; i < r.records.size(); ++i)
    {
        auto const& a = e.records()[i];
        auto const& b = r.records[i];
        require(a.id == b.id && a.fleet_id == b.fleet_id && a.fleet_ref == b.fleet_ref &&
                    a.connection_id == b.connection_id && a.invitation_id == b.invitation_id && a.status == b.status,
                "a record's ids or links differ from its JSON");
        require(a.occurred_at == b.occurred_at && a.updated_at == b.updated_at && a.created_at == b.created_at,
                "a record's times differ from its JSON");
        require(a.fields && *a.fields == *b.fields, "a record's fields differ from its JSON");
    }
}

// Split in pieces, an envelope that parses whole gives the same records in the same order.
void same_in_pieces(cw::envelope const& e, std::string_view body, cw::envelope_limits const& lim,
                    cw::envelope_storage where)
{
    auto const l = cw::detail::scan_envelope(body);
    if(!l)
        return;
    require(l->records.size() == e.records().size(), "the scan found another number of records");
    cw::envelope piece(where);
    std::size_t at = 0;
    for(std::size_t first = 0, count = 0; first < l->records.size(); first += count)
    {
        count = cw::detail::records_in_piece(*l, first, 64);
        require(!piece.parse(cw::detail::envelope_piece(*l, body, first, count), lim) && piece.id() == e.id(),
                "a piece of a valid envelope did not parse as the envelope");
        for(auto const& r : piece.records())
            require(at < e.records().size() && r.id == e.records()[at++].id, "a piece's records are not the envelope's");
    }
    require(at == e.records().size(), "the pieces lost records");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    if(size == 0)
        return 0;
    cw::envelope_limits lim;
    if(data[0] & 1)
    {
        lim.max_depth = 4;
        lim.max_records = 2;
        lim.max_string_bytes = 8;
    }
    auto const where = data[0] & 2 ? cw::envelope_storage::heap : cw::envelope_storage::arena;
    std::string_view const body(reinterpret_cast<char const*>(data + 1), size - 1);

    json::parse_options po;
    po.max_depth = lim.max_depth;
    json::error_code jec;
    auto doc = json::parse(body, jec, {}, po);
    reference ref;
    bool const valid = !jec && reference_shape(std::move(doc), lim, ref);

    cw::envelope e(where); // this input's only; parsed three times
    for(int round = 0; round < 2; ++round)
    {
        auto const ec = e.parse(body, lim);
        require(!ec == valid, "envelope::parse and the documented shape disagree");
        if(ec)
        {
            require(e.records().empty() && e.json().is_null(), "a failed parse left records behind");
            continue;
        }
        same_as_reference(e, ref);
        same_in_pieces(e, body, lim, where);
        // Between the rounds, a body that fails: the next parse must not see what it left.
        require(e.parse(R"({"version":"1.0","webhook_id":"w","data":[{"fleet_id":"f"}]})", lim) && e.records().empty(),
                "a record without id was accepted, or left records behind");
    }
    if(!valid)
        return 0;
    (void)e.parse(body, lim);

    // The headers: another subscription is refused; an absent event name is taken from them.
    if(ref.webhook_id != "other-subscription")
        require(e.check_headers("", "other-subscription") == cw::error::webhook_id_mismatch,
                "another subscription's id was accepted");
    auto const ec = e.check_headers("invitation.accepted", ref.webhook_id);
    require(!ec == (ref.event_name.empty() || ref.event_name == "invitation.accepted"),
            "check_headers judged the event name wrongly");
    if(ref.event_name.empty())
    {
        require(e.event_name() == "invitation.accepted" && e.resource() == "invitation" && e.action() == "accepted",
                "an absent event name was not taken from the headers");
        for(auto const& r : e.records())
            require(r.invitation_id == r.id, "an invitation record does not link to itself");
    }
    // Each record's object can be taken out whole.
    for(std::size_t i = 0; i < ref.records.size(); ++i)
        require(e.take_fields(i) == *ref.records[i].fields, "take_fields gave another object");
    return 0;
}
