// SPDX-License-Identifier: BSL-1.0
// lib/processing/envelope_split.cpp - a large envelope as a series of smaller ones, so that no delivery is parsed as one tree.
#include "processing/envelope_split.hpp"

namespace catena::webhooks::detail {

namespace {

bool space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

struct scanner
{
    std::string_view s;
    std::size_t at = 0;

    void skip_space()
    {
        while(at < s.size() && space(s[at]))
            ++at;
    }
    bool eat(char c)
    {
        skip_space();
        if(at < s.size() && s[at] == c)
        {
            ++at;
            return true;
        }
        return false;
    }
    // A string from its opening quote; its raw text (escapes left as they are).
    std::optional<std::string_view> string()
    {
        if(at >= s.size() || s[at] != '"')
            return std::nullopt;
        auto const start = ++at;
        while(at < s.size())
        {
            char const c = s[at++];
            if(c == '\\')
                ++at;
            else if(c == '"')
                return s.substr(start, at - 1 - start);
        }
        return std::nullopt;
    }
    // Any value: its extent. Containers by depth, skipping strings; scalars to a delimiter.
    bool value()
    {
        skip_space();
        if(at >= s.size())
            return false;
        char const c = s[at];
        if(c == '"')
            return string().has_value();
        if(c == '{' || c == '[')
        {
            int depth = 0;
            while(at < s.size())
            {
                char const d = s[at];
                if(d == '"')
                {
                    if(!string())
                        return false;
                    continue;
                }
                ++at;
                if(d == '{' || d == '[')
                    ++depth;
                else if((d == '}' || d == ']') && --depth == 0)
                    return true;
            }
            return false;
        }
        auto const start = at;
        while(at < s.size() && !space(s[at]) && s[at] != ',' && s[at] != '}' && s[at] != ']')
            ++at;
        return at > start;
    }
};

} // namespace

std::optional<envelope_layout> scan_envelope(std::string_view body)
{
    scanner sc{body};
    envelope_layout l;
    if(!sc.eat('{'))
        return std::nullopt;
    bool data_seen = false;
    if(sc.eat('}'))
        return std::nullopt;
    for(;;)
    {
        sc.skip_space();
        auto const member_start = sc.at;
        auto const key = sc.string();
        if(!key || !sc.eat(':'))
            return std::nullopt;
        if(*key == "data")
        {
            if(data_seen || !sc.eat('['))
                return std::nullopt;
            data_seen = true;
            if(!sc.eat(']'))
                for(;;)
                {
                    sc.skip_space();
                    auto const start = sc.at;
                    if(!sc.value())
                        return std::nullopt;
                    l.records.emplace_back(start, sc.at - start);
                    if(sc.eat(']'))
                        break;
                    if(!sc.eat(','))
                        return std::nullopt;
                }
        }
        else
        {
            if(!sc.value())
                return std::nullopt;
            if(!l.members.empty())
                l.members += ',';
            l.members.append(body.substr(member_start, sc.at - member_start));
        }
        if(sc.eat('}'))
            break;
        if(!sc.eat(','))
            return std::nullopt;
    }
    sc.skip_space();
    if(!data_seen || sc.at != body.size())
        return std::nullopt;
    return l;
}

std::string envelope_piece(envelope_layout const& l, std::string_view body, std::size_t first, std::size_t count)
{
    std::string out;
    std::size_t bytes = l.members.size() + 16;
    for(std::size_t i = first; i < first + count; ++i)
        bytes += l.records[i].second + 1;
    out.reserve(bytes);
    out += '{';
    out += l.members;
    if(!l.members.empty())
        out += ',';
    out += "\"data\":[";
    for(std::size_t i = first; i < first + count; ++i)
    {
        if(i != first)
            out += ',';
        out.append(body.substr(l.records[i].first, l.records[i].second));
    }
    out += "]}";
    return out;
}

std::size_t records_in_piece(envelope_layout const& l, std::size_t first, std::size_t max_bytes)
{
    std::size_t n = 0, bytes = 0;
    while(first + n < l.records.size() && (n == 0 || bytes + l.records[first + n].second <= max_bytes))
        bytes += l.records[first + n++].second;
    return n;
}

} // namespace catena::webhooks::detail
