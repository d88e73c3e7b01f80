// SPDX-License-Identifier: BSL-1.0
// lib/providers/envelope_peek.hpp - the envelope's top-level "id", read from the first pieces of a body.
#ifndef CATENA_WEBHOOKS_PROVIDERS_ENVELOPE_PEEK_HPP
#define CATENA_WEBHOOKS_PROVIDERS_ENVELOPE_PEEK_HPP

#include <memory>
#include <string>
#include <string_view>

namespace catena::webhooks::detail {

/** Reads an envelope's top-level `"id"` from its body as it is decompressed, without
    building anything: a SAX pass (Boost.JSON's basic_parser) that stops at the id. Catena
    writes the id before `data`, so it costs a few hundred bytes of parsing.

    A null, absent, non-string or over-long id, or a body that is not a JSON object, gives
    an empty id: intake then keeps the delivery and processing decides.
*/
class envelope_peek
{
public:
    envelope_peek();
    ~envelope_peek();
    envelope_peek(envelope_peek const&) = delete;
    envelope_peek& operator=(envelope_peek const&) = delete;

    /// Starts over for the next body (keeps what it allocated).
    void reset();
    /// Feeds the next piece of the body; does nothing once done().
    void feed(std::string_view piece);
    /// The id is known (found, or known to be absent).
    bool done() const noexcept;
    /// The id, when found; else empty.
    std::string const& id() const noexcept;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace catena::webhooks::detail

#endif
