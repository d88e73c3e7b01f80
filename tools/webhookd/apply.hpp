// SPDX-License-Identifier: BSL-1.0
// tools/webhookd/apply.hpp - `catena-webhookd subscriptions apply FILE`: the subscriptions a
// receiver wants, planned against what the API holds and carried out; and the secrets file.
#ifndef CATENA_WEBHOOKD_APPLY_HPP
#define CATENA_WEBHOOKD_APPLY_HPP

#include <catena/webhooks/notifications.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/json/object.hpp>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <type_traits>
#include <string>
#include <utility>
#include <vector>

namespace webhookd {

/** Runs one API call to completion on `ioc`: `call(handler)` starts it. */
template<class T, class Call>
catena::webhooks::api_result<T> run_call(boost::asio::io_context& ioc, Call call)
{
    std::optional<catena::webhooks::api_result<T>> out;
    call([&out](catena::webhooks::api_result<T> r) { out.emplace(std::move(r)); });
    ioc.restart();
    ioc.run();
    if(!out)
        return catena::webhooks::api_error{make_error_code(catena::webhooks::error::api_unreachable), 0, {},
                                           "the call did not complete", {}, {}};
    return std::move(*out);
}

/** run_call, or the command ends: the API's error in one line on stderr after `who`, exit 1. */
template<class T, class Call>
T await_or_exit(boost::asio::io_context& ioc, Call call, char const* who)
{
    auto r = run_call<T>(ioc, std::move(call));
    if(!r)
    {
        std::fprintf(stderr, "%s: %s\n", who, r.error().what().c_str());
        std::exit(1);
    }
    if constexpr(!std::is_void_v<T>)
        return std::move(*r);
}

/// 32 random bytes from OpenSSL's generator, base64url: 43 characters.
std::string generate_secret();

/** Puts "ID SECRET" lines first in `file` (created when missing), keeping its other lines:
    written to a temporary file of mode 0600 beside it (with the file's owner and group when
    it existed), synced, then renamed over it.
    @return empty, or why not. */
std::string add_secrets(std::string const& file, std::vector<std::pair<std::string, std::string>> const& entries);

/// Rows as a table, columns padded to their widest cell (the first row is the heading).
void print_table(std::vector<std::vector<std::string>> const& rows);

/// A subscription as `--json` prints it (the read model: no secret).
boost::json::object subscription_json(catena::webhooks::webhook_subscription const& s);

/** Plans FILE against the API and, with `yes`, carries the plan out (0: done or nothing to
    do, 1: the API failed, 2: FILE or the options are wrong). */
int apply_command(boost::asio::io_context& ioc, catena::webhooks::notifications_client& api, std::string const& file,
                  bool yes, bool prune, std::string const& secrets_file, bool as_json);

} // namespace webhookd

#endif
