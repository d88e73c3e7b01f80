// SPDX-License-Identifier: BSL-1.0
// lib/verify/secret_ring.cpp - secret storage, lookup and the secrets-file format.
#include <catena/webhooks/secret_ring.hpp>

#include <openssl/crypto.h>

#include <algorithm>

namespace catena::webhooks {

secret::secret(std::string_view value, std::optional<timestamp> not_after)
    : value_(value), not_after_(not_after)
{
}

secret::~secret()
{
    // Wipe the whole buffer (short secrets live inside the object) so the key does not
    // linger in freed memory.
    if(value_.capacity() > 0)
        OPENSSL_cleanse(value_.data(), value_.capacity());
}

bool secret_ring::add(std::string_view webhook_id, std::string_view value, std::optional<timestamp> not_after)
{
    if(webhook_id.empty() || value.empty())
        return false;
    auto it = by_id_.find(webhook_id);
    if(it == by_id_.end())
        it = by_id_.emplace(std::string(webhook_id), std::vector<secret>{}).first;
    it->second.emplace_back(value, not_after);
    return true;
}

bool secret_ring::add_default(std::string_view value, std::optional<timestamp> not_after)
{
    if(value.empty())
        return false;
    defaults_.emplace_back(value, not_after);
    return true;
}

bool secret_ring::usable_at(timestamp now) const noexcept
{
    auto const live = [now](std::vector<secret> const& v) {
        return std::any_of(v.begin(), v.end(), [now](secret const& s) { return s.live_at(now); });
    };
    for(auto const& [id, v] : by_id_)
        if(live(v))
            return true;
    return policy_ == unknown_webhook_policy::try_defaults && live(defaults_);
}

secret_ring::candidates secret_ring::find(std::string_view webhook_id) const noexcept
{
    if(auto it = by_id_.find(webhook_id); it != by_id_.end())
        return {it->second, true};
    if(policy_ == unknown_webhook_policy::try_defaults)
        return {defaults_, false};
    return {{}, false};
}

namespace {

bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\r'; }

// Splits off the next whitespace-separated field of `line`.
std::string_view next_field(std::string_view& line) noexcept
{
    std::size_t i = 0;
    while(i < line.size() && is_space(line[i]))
        ++i;
    std::size_t j = i;
    while(j < line.size() && !is_space(line[j]))
        ++j;
    auto field = line.substr(i, j - i);
    line.remove_prefix(j);
    return field;
}

} // namespace

result<secret_ring> secret_ring::parse(std::string_view text, std::size_t* bad_line)
{
    secret_ring ring;
    std::size_t line_no = 0;
    while(!text.empty())
    {
        ++line_no;
        auto const nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);

        auto const id = next_field(line);
        if(id.empty() || id.front() == '#')
            continue;
        auto const value = next_field(line);
        auto const until = next_field(line);
        auto const extra = next_field(line);
        std::optional<timestamp> not_after;
        bool ok = !value.empty() && extra.empty();
        if(ok && !until.empty())
        {
            auto t = parse_rfc3339(until);
            ok = t.has_value();
            if(ok)
                not_after = *t;
        }
        if(!ok)
        {
            if(bad_line)
                *bad_line = line_no;
            return make_error_code(error::invalid_secrets_file);
        }
        if(id == "*")
        {
            ring.add_default(value, not_after);
            ring.set_unknown_policy(unknown_webhook_policy::try_defaults);
        }
        else
        {
            ring.add(id, value, not_after);
        }
    }
    return ring;
}

} // namespace catena::webhooks
