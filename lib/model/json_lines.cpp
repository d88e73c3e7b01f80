// SPDX-License-Identifier: BSL-1.0
// lib/model/json_lines.cpp - events, transitions, merges and dead letters as JSON Lines records.
#include <catena/webhooks/json_lines.hpp>

#include "detail/json_forms.hpp"

namespace catena::webhooks {

// Written field by field rather than through a json::object: one line per event is the
// daemon's hot path.
using detail::json_object_of;
using detail::json_text_of;

std::string to_json_line(event const& e) { return json_text_of(512, e, false); }
std::string to_json_line(event const& e, bool with_record) { return json_text_of(512, e, with_record); }
std::string to_json_line(transition const& t) { return json_text_of(384, t, detail::json_form::line); }

void append_json_line(std::string& out, event const& e, bool with_record)
{
    detail::append_json_text(out, e, with_record);
}
void append_json_line(std::string& out, transition const& t)
{
    detail::append_json_text(out, t, detail::json_form::line);
}
std::string to_json_line(fleet_merge const& m) { return json_text_of(128, m); }
std::string to_json_line(dead_letter const& d) { return json_text_of(128, d); }
std::string to_json_line(subscription_event const& s) { return json_text_of(256, s); }
std::string to_json_line(delivery_gap const& g) { return json_text_of(256, g); }

boost::json::object to_json(event const& e, bool with_record) { return json_object_of(e, with_record); }
boost::json::object to_json(transition const& t) { return json_object_of(t, detail::json_form::line); }
boost::json::object to_json(fleet_merge const& m) { return json_object_of(m); }
boost::json::object to_json(dead_letter const& d) { return json_object_of(d); }
boost::json::object to_json(subscription_event const& s) { return json_object_of(s); }
boost::json::object to_json(delivery_gap const& g) { return json_object_of(g); }
boost::json::object to_json(fleet_state const& f) { return json_object_of(f); }

} // namespace catena::webhooks
