// SPDX-License-Identifier: BSL-1.0
// test/support/fake_https.hpp - a JSON-over-HTTPS server on loopback with its own certificate, for the fakes of providers' APIs.
#ifndef CATENA_WEBHOOKS_TEST_SUPPORT_FAKE_HTTPS_HPP
#define CATENA_WEBHOOKS_TEST_SUPPORT_FAKE_HTTPS_HPP

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/value.hpp>

#include <functional>
#include <memory>
#include <string>

namespace catena::webhooks::test {

/** What a fake answers: a status and a JSON body (none for 204 or a null body with
    `empty_body`); `retry_after` sets the Retry-After header. */
struct fake_reply
{
    unsigned status = 200;
    boost::json::value body;
    unsigned retry_after = 0;
    bool empty_body = false;
};

using fake_request = boost::beast::http::request<boost::beast::http::string_body>;

/** One request per connection (Connection: close), over TLS with a self-signed certificate
    written into `dir`, on 127.0.0.1 and a free port; `handle` runs on the server's thread,
    then `after` (outside any lock the handler took). Stops in its destructor. */
class fake_https
{
public:
    /// `port` 0 picks a free one; another (a server started again where an earlier one
    /// listened) reuses the certificate an earlier server wrote into `dir`.
    fake_https(std::string const& dir, std::function<fake_reply(fake_request const&)> handle,
               std::function<void()> after = {}, unsigned short port = 0);
    ~fake_https();
    fake_https(fake_https const&) = delete;
    fake_https& operator=(fake_https const&) = delete;

    std::string url() const; ///< https://127.0.0.1:PORT
    unsigned short port() const;
    std::string ca_file() const;

    struct impl;

private:
    std::unique_ptr<impl> impl_;
};

} // namespace catena::webhooks::test

#endif
