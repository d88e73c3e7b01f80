// SPDX-License-Identifier: BSL-1.0
// catena/webhooks/dead_letters.hpp - inspecting and replaying the dead letters of a stopped receiver's store.
#ifndef CATENA_WEBHOOKS_DEAD_LETTERS_HPP
#define CATENA_WEBHOOKS_DEAD_LETTERS_HPP

#include <catena/webhooks/error.hpp>
#include <catena/webhooks/event.hpp>
#include <catena/webhooks/export.hpp>
#include <catena/webhooks/timestamp.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace catena::webhooks {

/** A dead letter as stored, with its id. */
struct stored_dead_letter
{
    std::int64_t id = 0;
    timestamp created_at{};
    dead_letter letter;
    /// The body's size; a listing leaves letter.body empty (fetch one letter for it).
    std::size_t body_bytes = 0;
};

/** A stored dead letter as JSON, as the admin API (/v1/dead-letters) and `catena-webhookd
    dead-letters` answer it: {"id","created_at","kind","reason","inbox_sequence","request_id",
    "webhook_id","event_type","idempotency_key","handler","error","attempts","body_bytes"},
    empty text as null, and "body" last with `with_body` (a listing leaves it out). */
CATENA_WEBHOOKS_DECL boost::json::object to_json(stored_dead_letter const& x, bool with_body);

/** The dead letters in a receiver's data directory, or in a PostgreSQL store shared by
    several receivers.

    A data directory is locked while a receiver runs on it: open this while the receiver is
    stopped (catena-webhookd dead-letters does). A replayed dead letter goes back into the
    inbox and is processed when the receiver starts again, even though its events were seen
    before; its callbacks run again with the same idempotency keys. A PostgreSQL store may be
    opened while its receivers run: a replayed letter is processed by the leader at once.
*/
class CATENA_WEBHOOKS_DECL dead_letter_box
{
public:
    /** Opens the store in `data_dir`, or the PostgreSQL database it names when it is a
        connection string or URI (receiver_options::store.postgres); on failure `ec` is set
        and `why` says why in one line. */
    static std::optional<dead_letter_box> open(std::string const& data_dir, error_code& ec, std::string& why);

    dead_letter_box(dead_letter_box&&) noexcept;
    dead_letter_box& operator=(dead_letter_box&&) noexcept;
    ~dead_letter_box();

    /// The newest `max` dead letters, oldest first, without their bodies (see body_bytes).
    std::vector<stored_dead_letter> list(std::size_t max = 1000) const;
    /// One dead letter, with its body.
    std::optional<stored_dead_letter> get(std::int64_t id) const;
    /** Puts the delivery behind dead letter `id` back into the inbox and removes the letter.
        An undecodable delivery is put back from the letter itself; a failed callback's
        delivery from the inbox, so it must not have been pruned yet (store.processed_retention).
    */
    error_code replay(std::int64_t id, std::string& why);
    /// Replays every dead letter; returns how many were put back (`why` names the first failure).
    std::size_t replay_all(std::string& why);

private:
    struct impl;
    explicit dead_letter_box(std::unique_ptr<impl> p);
    std::unique_ptr<impl> impl_;
};

} // namespace catena::webhooks

#endif
