// SPDX-License-Identifier: BSL-1.0
// lib/http/intake.hpp - a request's headers and body in, verified and kept (or refused), one answer out.
#ifndef CATENA_WEBHOOKS_HTTP_INTAKE_HPP
#define CATENA_WEBHOOKS_HTTP_INTAKE_HPP

#include <catena/webhooks/receiver_options.hpp>
#include <catena/webhooks/secret_ring.hpp>
#include <catena/webhooks/verifier.hpp>

#include "detail/counters.hpp"
#include "store/store.hpp"

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace catena::webhooks::detail {

/** What a delivery request is answered. */
struct answer
{
    unsigned status = 202;
    error_code ec;
};

/** Verifies a delivery and keeps it: verifier pool -> inbox entry -> store append -> answer.

    No I/O of its own: the session hands it what it read and writes what it is told.

    @par Thread safety
    deliver() and set_secrets() from any thread.
*/
class intake
{
public:
    using report_fn = std::function<void(error_code, unsigned status, std::string detail, std::string request_id,
                                         std::string webhook_id)>;

    intake(receiver_options const& opts, counters& counts, report_fn report);

    /// Where deliveries are kept, and what to call once one is (processing); before any deliver().
    void attach(store& s, std::function<void()> on_kept);

    /** Verifies and keeps one delivery, then calls done(answer) once the store has kept or
        refused it: at once on a verification failure, otherwise possibly from the store's
        writer thread. Never blocks. `body` is consumed. */
    void deliver(delivery_headers const& h, std::string&& body, std::string const& remote,
                 std::function<void(answer)> done);

    void set_secrets(secret_ring ring);

private:
    // A verifier with its decompression buffer. Pooled: one per connection would keep zlib
    // and MAC state for every idle keep-alive connection.
    struct verifier_slot
    {
        explicit verifier_slot(verify_options o) : v(o) {}
        verifier v;
        std::string buffer;
    };
    std::unique_ptr<verifier_slot> acquire_verifier();
    void release_verifier(std::unique_ptr<verifier_slot> s);

    receiver_options const& opts_;
    counters& counts_;
    report_fn report_;
    store* store_ = nullptr;
    std::function<void()> on_kept_;
    std::atomic<std::shared_ptr<secret_ring const>> secrets_;
    std::mutex pool_mutex_;
    std::vector<std::unique_ptr<verifier_slot>> pool_;
};

} // namespace catena::webhooks::detail

#endif
