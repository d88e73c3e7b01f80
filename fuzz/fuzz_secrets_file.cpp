// SPDX-License-Identifier: BSL-1.0
// fuzz/fuzz_secrets_file.cpp - the secrets file catena-webhookd reads (secret_ring::parse).
//
// Input: the text of a secrets file.
// Invariants:
// - secret_ring::parse accepts exactly the files a plain reference of the documented format
//   accepts (per line WEBHOOK_ID SECRET [NOT_AFTER] separated by spaces or tabs, NOT_AFTER an
//   RFC 3339 instant, '*' for a default secret, blank lines and lines starting with '#'
//   skipped), names the same first bad line, and holds what the reference read: per id its
//   secrets in file order with their not_after, the defaults, the unknown-id policy.
// - The ring written back as a file (one line a secret) parses to the same ring.
// - The error never quotes a secret: the message is the error code's own.
#include <catena/webhooks/secret_ring.hpp>

#include "fuzz_support.hpp"

#include <map>
#include <vector>

namespace {

namespace cw = catena::webhooks;
using cw::fuzz::require;

struct entry
{
    std::string value;
    std::optional<cw::timestamp> not_after;
    bool operator==(entry const&) const = default;
};

/// The file read plainly: secrets per id, the defaults, or the first bad line.
struct reference_ring
{
    std::map<std::string, std::vector<entry>> by_id;
    std::vector<entry> defaults;
    std::size_t bad_line = 0;
};

bool separator(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::vector<std::string_view> fields(std::string_view line)
{
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while(i < line.size())
    {
        while(i < line.size() && separator(line[i]))
            ++i;
        std::size_t j = i;
        while(j < line.size() && !separator(line[j]))
            ++j;
        if(j > i)
            out.push_back(line.substr(i, j - i));
        i = j;
    }
    return out;
}

reference_ring reference_parse(std::string_view text)
{
    reference_ring r;
    std::size_t n = 0;
    while(!text.empty())
    {
        ++n;
        auto const nl = text.find('\n');
        auto const line = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        auto const f = fields(line);
        if(f.empty() || f[0].front() == '#')
            continue;
        std::optional<cw::timestamp> not_after;
        if(f.size() == 3)
        {
            auto const t = cw::parse_rfc3339(f[2]);
            if(!t)
                return {{}, {}, n};
            not_after = *t;
        }
        if(f.size() < 2 || f.size() > 3)
            return {{}, {}, n};
        entry e{std::string(f[1]), not_after};
        if(f[0] == "*")
            r.defaults.push_back(std::move(e));
        else
            r.by_id[std::string(f[0])].push_back(std::move(e));
    }
    return r;
}

std::vector<entry> entries(std::span<cw::secret const> s)
{
    std::vector<entry> out;
    for(auto const& x : s)
        out.push_back({std::string(x.key()), x.not_after()});
    return out;
}

/// Whether `ring` holds what `want` says, looked up through the ring's own interface.
bool holds(cw::secret_ring const& ring, reference_ring const& want)
{
    if(ring.subscription_count() != want.by_id.size() || ring.default_count() != want.defaults.size())
        return false;
    bool const defaults = !want.defaults.empty();
    if(ring.unknown_policy() != (defaults ? cw::unknown_webhook_policy::try_defaults : cw::unknown_webhook_policy::reject))
        return false;
    for(auto const& [id, secrets] : want.by_id)
    {
        auto const c = ring.find(id);
        if(!c.known || !ring.names(id) || entries(c.secrets) != secrets)
            return false;
    }
    // An id the file does not name gets the defaults, when there are any.
    std::string unnamed = "unnamed-subscription";
    while(want.by_id.count(unnamed))
        unnamed += "-";
    auto const c = ring.find(unnamed);
    return !c.known && entries(c.secrets) == (defaults ? want.defaults : std::vector<entry>{});
}

std::string as_file(reference_ring const& r)
{
    std::string out = "# written back\n";
    auto const line = [&out](std::string const& id, entry const& e) {
        out += id + "\t" + e.value;
        if(e.not_after)
            out += " " + cw::format_rfc3339(*e.not_after, cw::utc_suffix::z);
        out += "\n";
    };
    for(auto const& [id, secrets] : r.by_id)
        for(auto const& e : secrets)
            line(id, e);
    for(auto const& e : r.defaults)
        line("*", e);
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    std::string_view const text(reinterpret_cast<char const*>(data), size);
    auto const want = reference_parse(text);
    std::size_t bad_line = 0;
    auto const ring = cw::secret_ring::parse(text, &bad_line);
    require(ring.has_value() == (want.bad_line == 0), "secret_ring::parse and the documented format disagree");
    if(!ring)
    {
        require(bad_line == want.bad_line, "secret_ring::parse named another line than the first bad one");
        require(ring.error() == cw::error::invalid_secrets_file &&
                    ring.error().message() == make_error_code(cw::error::invalid_secrets_file).message(),
                "a refused file's error says more than its code");
        return 0;
    }
    require(holds(*ring, want), "the ring holds other secrets than the file names");
    auto const again = cw::secret_ring::parse(as_file(want));
    require(again && holds(*again, want), "the ring written back as a file parses to another ring");
    return 0;
}
