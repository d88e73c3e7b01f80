// SPDX-License-Identifier: BSL-1.0
// lib/clients/api_error.cpp - an API client's error in one line, and boost::system::result's hook for it.
#include <catena/webhooks/api_error.hpp>

#include <boost/system/system_error.hpp>
#include <boost/throw_exception.hpp>

namespace catena::webhooks {

std::string api_error::what() const
{
    std::string s = status ? "HTTP " + std::to_string(status) : std::string(reason(ec));
    if(!code.empty())
        s += " " + code;
    if(!message.empty())
        s += ": " + message;
    for(auto const& d : details)
        s += "; " + (d.path.empty() ? std::string() : d.path + ": ") + d.message;
    if(retry_after)
        s += " (retry after " + std::to_string(retry_after->count()) + " s)";
    return s;
}

void throw_exception_from_error(api_error const& e, boost::source_location const& loc)
{
    boost::throw_exception(boost::system::system_error(e.ec, e.what()), loc);
}

} // namespace catena::webhooks
