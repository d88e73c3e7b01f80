// SPDX-License-Identifier: BSL-1.0
// tools/webhookd/sinks/http_sink.hpp - POSTs each message to an HTTP(S) endpoint; a 2xx acknowledges it.
#ifndef CATENA_WEBHOOKD_SINKS_HTTP_SINK_HPP
#define CATENA_WEBHOOKD_SINKS_HTTP_SINK_HPP

#include "sink.hpp"

#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace webhookd::sinks {

/** Where an HTTP sink posts: `http://HOST[:PORT]/PATH` or `https://HOST[:PORT]/PATH[?ca=FILE]`. */
struct http_target
{
    bool tls = false;
    std::string host;
    std::string port;
    std::string target = "/"; ///< Path and query sent in the request line.
    std::string ca_file;      ///< Trusted CAs (PEM); empty: the system's.
    std::string token;        ///< Authorization: Bearer, from the environment variable token-env names.
};

/** POSTs every message as its own request: the JSON line as the body
    (`Content-Type: application/json`), `Idempotency-Key` and `X-Catena-Kind` headers. A 2xx
    answer acknowledges it; any other answer, a timeout (30 s) or a broken connection refuses
    it, and it is posted again after the back-off. Up to 4 keep-alive connections, one
    request in flight on each. HTTPS verifies the server's certificate chain and host name
    (OpenSSL through Boost.Beast), with TLS 1.2 at least. */
class http_sink final : public sink
{
public:
    /// Throws std::runtime_error when the CA file cannot be read.
    http_sink(boost::asio::any_io_executor ex, std::string name, http_target t);
    ~http_sink() override;

private:
    struct connection;

    void open() override;
    void transmit(std::uint64_t id, message const& m) override;
    void close() override;
    std::size_t window() const override { return 4; }

    void done(std::shared_ptr<connection> const& c, std::uint64_t id, std::optional<std::string> failure);

    http_target target_;
    std::optional<boost::asio::ssl::context> tls_;
    std::vector<std::shared_ptr<connection>> pool_;
};

} // namespace webhookd::sinks

#endif
