// SPDX-License-Identifier: BSL-1.0
// lib/verify/gzip.cpp - gzip decoding with size and ratio limits (ISA-L's igzip), and zlib's gzip encoding.
#include <catena/webhooks/gzip.hpp>

#include <isa-l/igzip_lib.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <limits>
#include <new>

namespace catena::webhooks {

namespace {

bool iequals(std::string_view a, std::string_view b) noexcept
{
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

std::string_view trim(std::string_view s) noexcept
{
    while(!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while(!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

} // namespace

content_encoding classify_content_encoding(std::string_view value) noexcept
{
    value = trim(value);
    if(value.empty() || iequals(value, "identity"))
        return content_encoding::identity;
    if(iequals(value, "gzip") || iequals(value, "x-gzip"))
        return content_encoding::gzip;
    return content_encoding::unsupported;
}

// ISA-L's isal_inflate decodes the whole member: the gzip header (FHCRC checked when present),
// the deflate data, and the trailer's CRC-32 and ISIZE. It streams like zlib, stopping when
// the output window is full, so the limits are checked after every call, as the body inflates.
// It stops at the end of the first member and leaves what follows in avail_in.
struct inflater::impl
{
    static constexpr std::size_t window_bytes = 64u << 10;
    // 85 KiB, mostly ISA-L's output history: allocated with the inflater, and left unwritten
    // until start() (isal_inflate_init sets every field it reads), so that an inflater made for
    // one body does not pay for zeroing it first (about a microsecond).
    inflate_state st;
    std::unique_ptr<char[]> window;

    impl() noexcept {}

    // Readies the state for one member read from `in`.
    error_code start(std::string_view in)
    {
        if(in.empty())
            return error::gzip_truncated;
        // ISA-L counts in 32 bits; a body this large is refused long before by the listener.
        if(in.size() > std::numeric_limits<std::uint32_t>::max())
            return error::body_too_large;
        // RFC 1952 §2.3.1.2: a reader must refuse a header with a reserved FLG bit set (they
        // may announce fields it cannot skip). zlib did; ISA-L ignores them, so it is checked here.
        if(in.size() > 3 && (static_cast<unsigned char>(in[3]) & 0xe0) != 0)
            return error::gzip_corrupt;
        isal_inflate_init(&st);
        st.crc_flag = ISAL_GZIP;
        st.next_in = reinterpret_cast<std::uint8_t*>(const_cast<char*>(in.data()));
        st.avail_in = static_cast<std::uint32_t>(in.size());
        return {};
    }

    // The size and ratio bounds, once `produced` bytes came out of what was consumed of `in`.
    error_code over_limits(std::string_view in, std::size_t produced, inflate_limits const& limits) const
    {
        if(produced > limits.max_inflated_bytes)
            return error::inflated_too_large;
        std::size_t const consumed = in.size() - st.avail_in;
        if(produced > limits.ratio_floor_bytes && produced / std::max<std::size_t>(consumed, 1) > limits.max_ratio)
            return error::inflate_ratio_exceeded;
        return {};
    }

    // One call into ISA-L with `room` bytes of output at `out`; `produced` counts what it wrote.
    // Returns whether the member is complete, or why it cannot be; `more` means call again.
    enum class step
    {
        more,
        done
    };
    result<step> next(char* out, std::size_t room, std::size_t& produced)
    {
        std::uint32_t const avail_in = st.avail_in;
        st.next_out = reinterpret_cast<std::uint8_t*>(out);
        st.avail_out = static_cast<std::uint32_t>(room);
        int const rc = isal_inflate(&st);
        std::size_t const n = room - st.avail_out;
        produced += n;
        // Invalid header, block, symbol or distance, or a CRC-32 / ISIZE / FHCRC mismatch.
        if(rc < 0)
            return make_error_code(error::gzip_corrupt);
        // The member ended; anything after it (a second member too: Catena sends one) is refused.
        if(st.block_state == ISAL_BLOCK_FINISH)
        {
            if(st.avail_in != 0)
                return make_error_code(error::gzip_trailing_garbage);
            return step::done;
        }
        // Room left for output and every input byte taken: the input ended before the member.
        if(st.avail_in == 0 && st.avail_out != 0)
            return make_error_code(error::gzip_truncated);
        // Neither read nor wrote: nothing would change on the next call either.
        if(n == 0 && st.avail_in == avail_in)
            return make_error_code(error::gzip_corrupt); // GCOVR_EXCL_LINE: not seen from ISA-L
        return step::more;
    }
};

inflater::inflater() : impl_(std::make_unique<impl>()) {}
inflater::~inflater() = default;
inflater::inflater(inflater&&) noexcept = default;
inflater& inflater::operator=(inflater&&) noexcept = default;

error_code inflater::inflate(std::string_view in, std::string& out, inflate_limits const& limits)
{
    if(auto ec = impl_->start(in))
        return ec;

    // Start from the caller's capacity (reused across deliveries), at least 4x the input.
    std::size_t cap = std::max({out.capacity(), in.size() * 4, std::size_t{4096}});
    cap = std::min(cap, limits.max_inflated_bytes + 1);
    out.resize(cap);
    std::size_t produced = 0;

    for(;;)
    {
        if(produced == out.size())
        {
            // One byte past the limit tells "exactly at the limit" from "over it".
            if(out.size() > limits.max_inflated_bytes)
                return error::inflated_too_large;
            out.resize(std::min(out.size() * 2, limits.max_inflated_bytes + 1));
        }
        std::size_t const room =
            std::min<std::size_t>(out.size() - produced, std::numeric_limits<std::uint32_t>::max());
        auto const s = impl_->next(out.data() + produced, room, produced);
        if(auto ec = impl_->over_limits(in, produced, limits))
            return ec;
        if(!s)
            return s.error();
        if(*s == impl::step::done)
        {
            out.resize(produced);
            return {};
        }
    }
}

error_code inflater::inflate_each(std::string_view in, sink const& out, inflate_limits const& limits)
{
    if(auto ec = impl_->start(in))
        return ec;
    if(!impl_->window)
        impl_->window = std::make_unique<char[]>(impl::window_bytes);
    char* const window = impl_->window.get();
    std::size_t produced = 0;
    for(;;)
    {
        std::size_t const before = produced;
        auto const s = impl_->next(window, impl::window_bytes, produced);
        if(auto ec = impl_->over_limits(in, produced, limits))
            return ec;
        if(produced > before)
            out(std::string_view(window, produced - before));
        if(!s)
            return s.error();
        if(*s == impl::step::done)
            return {};
    }
}

std::string gzip_compress(std::string_view in, int level)
{
    z_stream zs{};
    if(deflateInit2(&zs, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        throw std::bad_alloc(); // GCOVR_EXCL_LINE: allocation failure only
    std::string out(deflateBound(&zs, static_cast<uLong>(in.size())), '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    int const rc = deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    if(rc != Z_STREAM_END)
        throw std::bad_alloc(); // GCOVR_EXCL_LINE: allocation failure only
    return out;
}

} // namespace catena::webhooks
