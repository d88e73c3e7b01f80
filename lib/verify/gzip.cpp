// SPDX-License-Identifier: BSL-1.0
// lib/verify/gzip.cpp - zlib-backed gzip decoding with size and ratio limits.
#include <catena/webhooks/gzip.hpp>

#include <zlib.h>

#include <algorithm>
#include <cctype>
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

struct inflater::impl
{
    static constexpr std::size_t window_bytes = 64u << 10;
    z_stream zs{};
    std::unique_ptr<char[]> window;

    impl()
    {
        // 16 + MAX_WBITS: a gzip wrapper only (no zlib or raw streams).
        if(inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
            throw std::bad_alloc(); // GCOVR_EXCL_LINE: allocation failure only
    }
    ~impl() { inflateEnd(&zs); }

    // Readies the stream for one member read from `in`.
    error_code start(std::string_view in)
    {
        if(inflateReset(&zs) != Z_OK)
            return error::gzip_corrupt;
        if(in.empty())
            return error::gzip_truncated;
        // zlib counts in uInt; a body this large is refused long before by the listener.
        if(in.size() > std::numeric_limits<uInt>::max())
            return error::body_too_large;
        zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
        zs.avail_in = static_cast<uInt>(in.size());
        return {};
    }

    // The size and ratio bounds, once `produced` bytes came out of what was consumed of `in`.
    error_code over_limits(std::string_view in, std::size_t produced, inflate_limits const& limits) const
    {
        if(produced > limits.max_inflated_bytes)
            return error::inflated_too_large;
        std::size_t const consumed = in.size() - zs.avail_in;
        if(produced > limits.ratio_floor_bytes && produced / std::max<std::size_t>(consumed, 1) > limits.max_ratio)
            return error::inflate_ratio_exceeded;
        return {};
    }
};

inflater::inflater() : impl_(std::make_unique<impl>()) {}
inflater::~inflater() = default;
inflater::inflater(inflater&&) noexcept = default;
inflater& inflater::operator=(inflater&&) noexcept = default;

error_code inflater::inflate(std::string_view in, std::string& out, inflate_limits const& limits)
{
    auto& zs = impl_->zs;
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
        std::size_t const room = std::min<std::size_t>(out.size() - produced, std::numeric_limits<uInt>::max());
        zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
        zs.avail_out = static_cast<uInt>(room);
        int const rc = ::inflate(&zs, Z_NO_FLUSH);
        produced += room - zs.avail_out;
        if(auto ec = impl_->over_limits(in, produced, limits))
            return ec;

        switch(rc)
        {
        case Z_OK:
            continue;
        case Z_STREAM_END:
            out.resize(produced);
            if(zs.avail_in != 0)
                return error::gzip_trailing_garbage;
            return {};
        case Z_BUF_ERROR:
            // No progress possible: either the output is full (loop grows it) or the
            // input ended before the stream did.
            if(zs.avail_in == 0)
                return error::gzip_truncated;
            continue;
        case Z_MEM_ERROR:
            throw std::bad_alloc(); // GCOVR_EXCL_LINE: allocation failure only
        default: // Z_DATA_ERROR, Z_NEED_DICT, Z_STREAM_ERROR
            return error::gzip_corrupt;
        }
    }
}

error_code inflater::inflate_each(std::string_view in, sink const& out, inflate_limits const& limits)
{
    auto& zs = impl_->zs;
    if(auto ec = impl_->start(in))
        return ec;
    if(!impl_->window)
        impl_->window = std::make_unique<char[]>(impl::window_bytes);
    char* const window = impl_->window.get();
    std::size_t produced = 0;
    for(;;)
    {
        zs.next_out = reinterpret_cast<Bytef*>(window);
        zs.avail_out = static_cast<uInt>(impl::window_bytes);
        int const rc = ::inflate(&zs, Z_NO_FLUSH);
        std::size_t const n = impl::window_bytes - zs.avail_out;
        produced += n;
        if(auto ec = impl_->over_limits(in, produced, limits))
            return ec;
        if(n > 0)
            out(std::string_view(window, n));
        switch(rc)
        {
        case Z_OK:
            continue;
        case Z_STREAM_END:
            if(zs.avail_in != 0)
                return error::gzip_trailing_garbage;
            return {};
        case Z_BUF_ERROR:
            // A whole empty window to fill and no progress: the input ended early.
            if(zs.avail_in == 0)
                return error::gzip_truncated;
            if(n == 0)
                return error::gzip_corrupt;
            continue;
        case Z_MEM_ERROR:
            throw std::bad_alloc(); // GCOVR_EXCL_LINE: allocation failure only
        default: // Z_DATA_ERROR, Z_NEED_DICT, Z_STREAM_ERROR
            return error::gzip_corrupt;
        }
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
