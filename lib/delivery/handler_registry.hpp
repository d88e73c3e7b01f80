// SPDX-License-Identifier: BSL-1.0
// lib/delivery/handler_registry.hpp - the callbacks a receiver was given, frozen when it starts.
#ifndef CATENA_WEBHOOKS_DELIVERY_HANDLER_REGISTRY_HPP
#define CATENA_WEBHOOKS_DELIVERY_HANDLER_REGISTRY_HPP

#include <catena/webhooks/error.hpp>
#include <catena/webhooks/handlers.hpp>

#include "detail/string_map.hpp"

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace catena::webhooks::detail {

/** Every callback registered on a receiver.

    Each registration goes through add() and obeys one rule: before freeze() it is recorded,
    after it nothing changes and error::already_started comes back (the receiver reports it
    through on_error). Once frozen the registry is only read, from any thread, without locks.
*/
class handler_registry
{
public:
    using event_handler = webhooks::event_handler;

    /// A handler that several registrations add to, or one that a registration replaces.
    template<class H>
    struct many
    {
        std::vector<H> all;
        void put(H h) { all.push_back(std::move(h)); }
    };
    template<class H>
    struct one
    {
        H current;
        void put(H h) { current = std::move(h); }
        explicit operator bool() const noexcept { return static_cast<bool>(current); }
    };

    template<class Slot, class H>
    [[nodiscard]] error_code add(Slot& slot, H h)
    {
        if(frozen_)
            return error::already_started;
        slot.put(std::move(h));
        return {};
    }

    /// An event handler for an exact event name, "resource.*" or "*".
    [[nodiscard]] error_code add_event(std::string_view pattern, event_handler h);

    void freeze() noexcept { frozen_ = true; }

    /// The handlers `event_name` matches, in call order (exact, resource.*, *), with the
    /// registration each came from; calls f(handlers, name) for each non-empty group.
    template<class F>
    void for_each_match(std::string_view event_name, std::string_view resource, F&& f) const
    {
        if(auto it = exact_.find(event_name); it != exact_.end())
            f(it->second.all, it->second.name);
        if(auto it = resources_.find(resource); it != resources_.end())
            f(it->second.all, it->second.name);
        if(!any_.all.empty())
            f(any_.all, any_.name);
    }

    one<event_handler> unhandled;
    one<error_handler> errors;
    one<dead_letter_handler> dead_letters;
    one<std::function<void()>> before_progress;
    many<transition_handler> transitions;
    many<async_event_handler> any_async;
    many<async_transition_handler> transitions_async;
    one<std::function<std::vector<sink_status>()>> sinks;
    many<merge_handler> merges;
    many<subscription_handler> subscriptions;
    many<gap_handler> gaps;

private:
    struct named : many<event_handler>
    {
        std::string name; ///< "on(invitation.accepted)", "on(invitation.*)", "on_any"
    };
    using by_name = string_map<named>;

    bool frozen_ = false;
    by_name exact_;
    by_name resources_;
    named any_{{}, "on_any"};
};

} // namespace catena::webhooks::detail

#endif
