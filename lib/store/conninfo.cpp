// SPDX-License-Identifier: BSL-1.0
// lib/store/conninfo.cpp - PostgreSQL connection strings recognised, redacted and checked for
// passwords; libpq parses them when the build has it.
#include "store/conninfo.hpp"

#include <catena/webhooks/receiver_options.hpp>
#include <catena/webhooks/version.hpp>

#if CATENA_WEBHOOKS_HAS_POSTGRESQL
#include <libpq-fe.h>
#endif

#include <regex>
#include <string_view>

namespace catena::webhooks::detail {

std::string redact_conninfo(std::string const& conninfo)
{
    static std::regex const uri_password(R"(^(postgres(?:ql)?://[^:@/]*:)[^@/]*@)");
    static std::regex const keyword_password(R"((^|\s)((?:ssl)?password)\s*=\s*('(?:[^'\\]|\\.)*'|\S*))");
    static std::regex const query_password(R"(([?&])((?:ssl)?password)=[^&]*)");
    auto s = std::regex_replace(conninfo, uri_password, "$1***@");
    s = std::regex_replace(s, keyword_password, "$1$2=***");
    return std::regex_replace(s, query_password, "$1$2=***");
}

std::string no_postgresql_support(std::string const& conninfo)
{
    return "this build of catena-webhooks has no PostgreSQL support (configured with "
           "CATENA_WEBHOOKS_POSTGRESQL=OFF, or libpq was not found): cannot open " +
           redact_conninfo(conninfo) + "; use a data directory, or a build with PostgreSQL";
}

} // namespace catena::webhooks::detail

namespace catena::webhooks {

bool is_postgres_conninfo(std::string_view s) noexcept
{
    if(s.rfind("postgresql://", 0) == 0 || s.rfind("postgres://", 0) == 0)
        return true;
    for(std::string_view key : {"host=", "hostaddr=", "port=", "dbname=", "user=", "service="})
        if(s.rfind(key, 0) == 0)
            return true;
    return false;
}

// As libpq reads it: a password or sslpassword in any form it accepts (a URI's user:password@
// or parameter, a keyword, quoted or not). What libpq cannot read, by what redaction hides.
bool conninfo_has_password(std::string const& conninfo)
{
#if !CATENA_WEBHOOKS_HAS_POSTGRESQL
    return detail::redact_conninfo(conninfo) != conninfo;
#else
    char* error = nullptr;
    PQconninfoOption* parsed = PQconninfoParse(conninfo.c_str(), &error);
    PQfreemem(error);
    if(!parsed)
        return detail::redact_conninfo(conninfo) != conninfo;
    bool found = false;
    for(auto const* o = parsed; o->keyword; ++o)
        if(o->val && *o->val && (std::string_view(o->keyword) == "password" || std::string_view(o->keyword) == "sslpassword"))
            found = true;
    PQconninfoFree(parsed);
    return found;
#endif
}

} // namespace catena::webhooks
