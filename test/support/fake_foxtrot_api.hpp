// SPDX-License-Identifier: BSL-1.0
// test/support/fake_foxtrot_api.hpp - Foxtrot's webhook management API as its reference describes it, over HTTPS on loopback.
#ifndef CATENA_WEBHOOKS_TEST_SUPPORT_FAKE_FOXTROT_API_HPP
#define CATENA_WEBHOOKS_TEST_SUPPORT_FAKE_FOXTROT_API_HPP

#include <boost/json/value.hpp>

#include <memory>
#include <string>
#include <vector>

namespace catena::webhooks::test {

/** The fake: GET/POST /webhooks, PATCH and PUT /webhooks/{id} (`enabled` only), DELETE
    /webhooks/{id}; every answer wrapped as {"status":"success","data":…}. Errors: 401 "API
    key is invalid" (the key in `key_header`, "Bearer KEY" for Authorization), 400 with an
    error code (INVALID_URL, INVALID_EVENTS, INVALID_PARAMETER), 404 for an unknown id. Faults
    on demand: the next N requests answer a status (429 with Retry-After, 5xx). */
class fake_foxtrot_api
{
public:
    static constexpr char api_key[] = "foxtrot-fake-api-key-0123456789";

    fake_foxtrot_api(std::string const& dir, std::string key_header = "Authorization");
    ~fake_foxtrot_api();
    fake_foxtrot_api(fake_foxtrot_api const&) = delete;
    fake_foxtrot_api& operator=(fake_foxtrot_api const&) = delete;

    std::string api_url() const;
    std::string ca_file() const;

    /// The next `count` requests answer `status` (429: with Retry-After `retry_after`).
    void fail_next(unsigned status, unsigned count, unsigned retry_after = 0);
    /// Adds a webhook as if made elsewhere; returns its id.
    std::string add(std::string url, std::vector<std::string> events, std::vector<std::string> dc_ids, bool enabled);
    /// The stored webhook, or null.
    boost::json::value stored(std::string const& id) const;
    std::size_t count() const;
    unsigned requests() const;
    /// Every request line seen ("PATCH /webhooks/wh-1").
    std::vector<std::string> request_lines() const;

    struct impl;

private:
    std::unique_ptr<impl> impl_;
};

} // namespace catena::webhooks::test

#endif
