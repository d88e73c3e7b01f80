// SPDX-License-Identifier: BSL-1.0
// catena/webhooks/gzip.hpp - bounded gzip decoding of delivery bodies.
#ifndef CATENA_WEBHOOKS_GZIP_HPP
#define CATENA_WEBHOOKS_GZIP_HPP

#include <catena/webhooks/error.hpp>
#include <catena/webhooks/export.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace catena::webhooks {

/** Bounds on decompression; together they stop gzip bombs. */
struct inflate_limits
{
    /// Largest decompressed body, in bytes. Default 128 MiB. error::inflated_too_large beyond it.
    std::size_t max_inflated_bytes = 128u << 20;
    /// Largest ratio of decompressed to compressed bytes once the output passes
    /// `ratio_floor_bytes`. Deflate can reach about 1032:1; real JSON stays far below 100:1.
    std::size_t max_ratio = 256;
    /// Output size below which the ratio is not checked (tiny bodies inflate strongly).
    std::size_t ratio_floor_bytes = 64u << 10;
};

/** The body codings the receiver understands. */
enum class content_encoding
{
    identity,    ///< Header absent, empty or "identity": the body is the JSON itself.
    gzip,        ///< "gzip" or "x-gzip", any case.
    unsupported, ///< Anything else, including lists of codings.
};

/** Classifies a Content-Encoding header value (surrounding whitespace ignored). */
CATENA_WEBHOOKS_DECL content_encoding classify_content_encoding(std::string_view value) noexcept;

/** A reusable gzip decoder.

    Keeps one inflate state (ISA-L's igzip) for its lifetime and resets it per body, so
    decoding allocates nothing beyond growing the caller's output string. The limits are
    checked as the body inflates, so a bomb stops early whatever its end holds.

    @par Thread safety
    Distinct objects: safe. Shared objects: unsafe.
*/
class CATENA_WEBHOOKS_DECL inflater
{
public:
    inflater();
    ~inflater();
    inflater(inflater&&) noexcept;
    inflater& operator=(inflater&&) noexcept;
    inflater(inflater const&) = delete;
    inflater& operator=(inflater const&) = delete;

    /** Decodes exactly one gzip member from `in` into `out` (replacing its contents).

        @return error::gzip_truncated when `in` ends early (also for empty input),
        error::gzip_corrupt for an invalid header, data or checksum,
        error::gzip_trailing_garbage when bytes follow the member,
        error::inflated_too_large or error::inflate_ratio_exceeded when a limit is hit.
        On error `out` holds unspecified bytes.
    */
    [[nodiscard]] error_code inflate(std::string_view in, std::string& out, inflate_limits const& limits = {});

    /// Receives decoded bytes piece by piece; a piece is valid only during the call.
    using sink = std::function<void(std::string_view)>;

    /** Decodes exactly one gzip member from `in`, handing the output to `out` in pieces of
        at most 64 KiB as they are decoded: memory stays one window whatever the body's
        inflated size. Same checks and errors as the other overload; on error some pieces may
        already have been handed over.
    */
    [[nodiscard]] error_code inflate_each(std::string_view in, sink const& out, inflate_limits const& limits = {});

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

/** Compresses `in` as one gzip member (mtime 0). Used by the simulator and tests. */
CATENA_WEBHOOKS_DECL std::string gzip_compress(std::string_view in, int level = 6);

} // namespace catena::webhooks

#endif
