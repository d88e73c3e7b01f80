// SPDX-License-Identifier: BSL-1.0
// lib/http/framing.cpp - the framing rules a request must meet before anything else is read of it.
#include "http/framing.hpp"

#include <boost/beast/core/string.hpp>

#include <string_view>

namespace catena::webhooks::detail {

error check_framing(boost::beast::http::request_header<> const& req) noexcept
{
    namespace http = boost::beast::http;
    auto const te = req.count(http::field::transfer_encoding);
    if(te > 1)
        return error::bad_transfer_encoding;
    if(te == 1)
    {
        std::string_view v = req[http::field::transfer_encoding];
        while(!v.empty() && (v.front() == ' ' || v.front() == '\t'))
            v.remove_prefix(1);
        while(!v.empty() && (v.back() == ' ' || v.back() == '\t'))
            v.remove_suffix(1);
        if(!boost::beast::iequals(v, "chunked"))
            return error::bad_transfer_encoding;
    }
    auto const hosts = req.count(http::field::host);
    if(hosts > 1 || (hosts == 0 && req.version() >= 11))
        return error::bad_host;
    return {};
}

} // namespace catena::webhooks::detail
