// SPDX-License-Identifier: BSL-1.0
// catena/webhooks/secret_ring.hpp - the signing secrets of each subscription (X-Webhook-ID), with rotation.
#ifndef CATENA_WEBHOOKS_SECRET_RING_HPP
#define CATENA_WEBHOOKS_SECRET_RING_HPP

#include <catena/webhooks/error.hpp>
#include <catena/webhooks/export.hpp>
#include <catena/webhooks/timestamp.hpp>

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace catena::webhooks {

/** One signing secret. Its bytes are the HMAC key, unmodified (spec C12).

    The value is wiped from memory when the object is destroyed, and the type has no stream
    or format support, so a secret cannot end up in a log by accident.
*/
class CATENA_WEBHOOKS_DECL secret
{
public:
    secret(std::string_view value, std::optional<timestamp> not_after = {});
    secret(secret const&) = default;
    secret(secret&&) noexcept = default;
    secret& operator=(secret const&) = default;
    secret& operator=(secret&&) noexcept = default;
    ~secret();

    /// The key bytes. Never log them.
    std::string_view key() const noexcept { return value_; }
    /// After this instant the secret no longer verifies anything (rotation grace period).
    std::optional<timestamp> not_after() const noexcept { return not_after_; }
    bool live_at(timestamp now) const noexcept { return !not_after_ || now <= *not_after_; }

private:
    std::string value_;
    std::optional<timestamp> not_after_;
};

/** What a ring holds for unknown subscriptions. */
enum class unknown_webhook_policy
{
    reject,       ///< error::unknown_webhook_id for every X-Webhook-ID without its own secret.
    try_defaults, ///< Try the default secrets for such ids (for example one org-wide secret).
};

/** Secrets keyed by subscription id (X-Webhook-ID), several live at once per id.

    Rotation: add the new secret, keep the previous one with a `not_after` instant, and
    every delivery signed with either verifies until then (spec C13). Secrets are tried in
    the order they were added; add the newest first, since it matches most deliveries.

    @par Thread safety
    Distinct objects: safe. Shared objects: const member functions are safe to call
    concurrently; mutation is not. Build a ring, then share it as `shared_ptr<secret_ring const>`
    and replace the whole ring to reload.
*/
class CATENA_WEBHOOKS_DECL secret_ring
{
public:
    /** The secrets to try for one delivery. */
    struct candidates
    {
        std::span<secret const> secrets;  ///< Empty when the id is unknown and defaults are not tried.
        bool known = false;               ///< The id has secrets of its own.
    };

    /// Adds a secret for a subscription. An empty id or secret is ignored and returns false.
    bool add(std::string_view webhook_id, std::string_view value, std::optional<timestamp> not_after = {});

    /// Adds a default secret, tried for ids without secrets of their own when the policy allows.
    bool add_default(std::string_view value, std::optional<timestamp> not_after = {});

    void set_unknown_policy(unknown_webhook_policy p) noexcept { policy_ = p; }
    unknown_webhook_policy unknown_policy() const noexcept { return policy_; }

    /// The secrets to try for `webhook_id` (expired ones included; the verifier skips them).
    candidates find(std::string_view webhook_id) const noexcept;

    /// Number of subscriptions with secrets of their own.
    std::size_t subscription_count() const noexcept { return by_id_.size(); }
    /// Whether `webhook_id` has secrets of its own (not only the defaults).
    bool names(std::string_view webhook_id) const noexcept { return by_id_.find(webhook_id) != by_id_.end(); }
    /// Number of default secrets.
    std::size_t default_count() const noexcept { return defaults_.size(); }
    bool empty() const noexcept { return by_id_.empty() && defaults_.empty(); }
    /// Whether some delivery signed at `now` could verify: a subscription's secret live then, or
    /// a default secret live then that the policy lets be tried.
    bool usable_at(timestamp now) const noexcept;

    /** Parses a secrets file.

        One entry per line: `WEBHOOK_ID SECRET [NOT_AFTER]`, separated by spaces or tabs;
        `NOT_AFTER` is an RFC 3339 instant. `*` as WEBHOOK_ID adds a default secret and sets
        the policy to try_defaults. Blank lines and lines starting with `#` are skipped.
        Several lines with one id give that subscription several live secrets.

        @param bad_line set to the 1-based number of the first bad line, on error.
        @return the ring, or error::invalid_secrets_file. The message never contains a secret.
    */
    static result<secret_ring> parse(std::string_view text, std::size_t* bad_line = nullptr);

private:
    struct string_hash
    {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };
    std::unordered_map<std::string, std::vector<secret>, string_hash, std::equal_to<>> by_id_;
    std::vector<secret> defaults_;
    unknown_webhook_policy policy_ = unknown_webhook_policy::reject;
};

} // namespace catena::webhooks

#endif
