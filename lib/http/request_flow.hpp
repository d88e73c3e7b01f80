// SPDX-License-Identifier: BSL-1.0
// lib/http/request_flow.hpp - one request's decisions, whoever read it off the wire: route, client, admission, body budget, keep, answer.
#ifndef CATENA_WEBHOOKS_HTTP_REQUEST_FLOW_HPP
#define CATENA_WEBHOOKS_HTTP_REQUEST_FLOW_HPP

#include <catena/webhooks/receiver_options.hpp>
#include <catena/webhooks/verifier.hpp>

#include "detail/address.hpp"
#include "http/intake.hpp"
#include "http/session_host.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace catena::webhooks::detail {

/** A request head's fields as a provider reads them (views into `req`). */
class beast_fields final : public request_fields
{
public:
    explicit beast_fields(boost::beast::http::request_header<> const& req) noexcept : req_(req) {}
    std::string_view get(std::string_view name) const override;

private:
    boost::beast::http::request_header<> const& req_;
};

/** Whether the admin listener answers a request whose Host is `host`: loopback names
    (localhost, *.localhost) and addresses, the listener's own address, and the names of
    receiver_options::admin_hosts. Anything else could be a page the operator opened whose
    name now resolves to the admin address (DNS rebinding): 421. */
bool admin_host_allowed(std::string_view host, receiver_options const& opts) noexcept;

/** The answer to a GET or HEAD of a route other than deliveries: the health route, the
    metrics route (where no admin listener serves it), or the admin listener's state API and
    status page (session_host::admin). */
admin_reply read_route(session_host& host, bool is_health, std::string_view target, std::string_view authorization);

/// A header some answers carry: the admin routes' challenge, the status page's policy.
enum class extra_header : std::uint8_t
{
    none,
    challenge,
    page
};

/** Fills `res` with an answer (everything but the body and the payload's framing). */
void shape_response(boost::beast::http::response<boost::beast::http::string_body>& res, unsigned version,
                    unsigned status, std::string_view content_type, extra_header extra, std::string_view allow,
                    std::optional<std::chrono::seconds> retry_after);

/** The body of every answer to a delivery path: `{"status":…,"reason":"…"}` and a newline. */
std::string answer_body(unsigned status, error_code const& ec);

/** Where a request goes, decided on its head alone. */
struct head_route
{
    enum class kind : std::uint8_t
    {
        refuse,   ///< Answer `refusal` (with `allow` on a 405); `close`: the framing is broken.
        delivery, ///< A delivery, on `route` (Catena's path or another provider's).
        read,     ///< A GET or HEAD of health, metrics or an admin route.
    };
    kind what = kind::refuse;
    error refusal{};
    std::string_view allow{};
    bool close = false;
    std::optional<route_match> route{}; ///< kind::delivery: the path and its provider.
    bool is_health = false;             ///< kind::read: the health route.
};

/** Decides on a request's head: its framing (Transfer-Encoding, Host), then the delivery
    paths (POST only), then the health, metrics and admin routes that `served` includes
    (GET or HEAD, without a body: `body_follows` says whether one does). */
head_route route_head(session_host& host, routes served, boost::beast::http::request_header<> const& req,
                      bool body_follows);

/** A request refused for `e`: counted, reported (with its X-Request-ID and X-Webhook-ID when
    `req` is given) and returned as the answer to give. */
answer refuse_request(session_host& host, error e, boost::beast::http::request_header<> const* req,
                      std::string const& remote);

/** The TCP peer a request came from, as the flow needs it. */
struct request_peer
{
    boost::asio::ip::address ip;
    std::string remote;         ///< For reports: "address:port", or the address.
    client_address client;      ///< The connection's client: the peer, or its PROXY header's source.
    bool forwarded = false;     ///< A trusted proxy whose X-Forwarded-For names the client.
};

/** One delivery's passage from complete headers to its answer: the client (behind a trusted
    proxy, X-Forwarded-For), admission by intake on the headers alone, the body budget as
    the body arrives, verification and keeping, each answer counted. The receiver's own
    sessions and receiver::receive() both go through it, so that a delivery is admitted,
    verified, kept and answered the same way however it arrived.

    Holds views into the request's head: it must outlive neither the head nor, until
    deliver() returns, the body.
*/
class delivery_flow
{
public:
    explicit delivery_flow(session_host& host) noexcept : host_(host) {}
    ~delivery_flow() { release(); }
    delivery_flow(delivery_flow const&) = delete;
    delivery_flow& operator=(delivery_flow const&) = delete;

    /** The head is complete: the checks that need no body. An answer means: say it without
        reading the body (counted here); nothing means: read the body, reserving it. `route`
        is the delivery path the head was for (route_head). */
    std::optional<answer> admit(boost::beast::http::request_header<> const& req, route_match const& route,
                                std::optional<std::uint64_t> length, request_peer const& peer);

    /** The body has `total` bytes so far (or announced): reserves what is not reserved yet in
        the budget of body bytes in flight. An answer (503, counted) when it cannot. */
    std::optional<answer> reserve(std::size_t total);

    /** The body grew over max_body_bytes while arriving: the 503 to answer (counted). */
    answer too_large(std::size_t have);

    /** Verifies and keeps the body; `done` gets the answer (counted) once the store kept or
        refused it, possibly from another thread, possibly before this returns. The body is
        out of the budget afterwards. */
    template<class Done>
    void deliver(std::string&& body, Done done)
    {
        auto const t0 = std::chrono::steady_clock::now();
        keep(std::move(body), [counts = &host_.counts(), t0, done = std::move(done)](answer a) mutable {
            counts->count_response(a.status, a.ec);
            if(a.status == 202)
                counts->observe_ack_latency(std::chrono::steady_clock::now() - t0);
            done(a);
        });
    }

    /// Gives the body's reservation back (idempotent).
    void release() noexcept;

    /// This request's client for reports ("address:port", "client (via proxy)").
    std::string const& who() const noexcept { return who_; }

private:
    client_address const& identify(boost::beast::http::request_header<> const& req, request_peer const& peer);
    answer counted(answer a);
    void keep(std::string&& body, std::function<void(answer)> done);

    session_host& host_;
    route_match route_;
    delivery_ticket ticket_;
    client_address client_;
    std::string who_;
    std::size_t reserved_ = 0;
};

} // namespace catena::webhooks::detail

#endif
