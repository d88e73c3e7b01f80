// SPDX-License-Identifier: BSL-1.0
// lib/store/pg.cpp - RAII handles of libpq: a connection, its results, and parameters in binary.
#include "store/pg.hpp"

#include <catena/webhooks/receiver_options.hpp>

#include <boost/endian/conversion.hpp>

#include <cstdlib>
#include <cstring>

namespace catena::webhooks::detail {

std::int64_t pg_result::affected() const
{
    char const* n = r_ ? PQcmdTuples(r_) : "";
    return *n ? std::strtoll(n, nullptr, 10) : 0;
}

std::int64_t pg_result::integer(int row, int col) const noexcept
{
    if(null(row, col))
        return 0;
    auto const b = bytes(row, col);
    if(b.size() == 8)
    {
        std::int64_t v;
        std::memcpy(&v, b.data(), 8);
        return boost::endian::big_to_native(v);
    }
    if(b.size() == 4)
    {
        std::int32_t v;
        std::memcpy(&v, b.data(), 4);
        return boost::endian::big_to_native(v);
    }
    if(b.size() == 2)
    {
        std::int16_t v;
        std::memcpy(&v, b.data(), 2);
        return boost::endian::big_to_native(v);
    }
    return 0;
}

std::int64_t pg_result::text_integer(int row, int col) const noexcept
{
    return null(row, col) ? 0 : std::strtoll(PQgetvalue(r_, row, col), nullptr, 10);
}

std::string pg_result::state() const
{
    char const* s = r_ ? PQresultErrorField(r_, PG_DIAG_SQLSTATE) : nullptr;
    return s ? s : "";
}

pg_params& pg_params::integer(std::int64_t v)
{
    auto const be = boost::endian::native_to_big(v);
    values_.emplace_back(reinterpret_cast<char const*>(&be), 8);
    lengths_.push_back(8);
    formats_.push_back(1);
    nulls_.push_back(false);
    return *this;
}

pg_params& pg_params::text(std::string_view v)
{
    values_.emplace_back(v);
    lengths_.push_back(static_cast<int>(v.size()));
    formats_.push_back(1);
    nulls_.push_back(false);
    return *this;
}

pg_params& pg_params::bytes(void const* p, std::size_t n)
{
    return text(std::string_view(static_cast<char const*>(p), n));
}

pg_params& pg_params::boolean(bool v)
{
    values_.emplace_back(1, v ? '\1' : '\0');
    lengths_.push_back(1);
    formats_.push_back(1);
    nulls_.push_back(false);
    return *this;
}

pg_params& pg_params::literal(std::string_view v)
{
    values_.emplace_back(v);
    lengths_.push_back(static_cast<int>(v.size()));
    formats_.push_back(0);
    nulls_.push_back(false);
    return *this;
}

pg_params& pg_params::null()
{
    values_.emplace_back();
    lengths_.push_back(0);
    formats_.push_back(1);
    nulls_.push_back(true);
    return *this;
}

void pg_params::finish() const
{
    pointers_.resize(values_.size());
    for(std::size_t i = 0; i < values_.size(); ++i)
        pointers_[i] = nulls_[i] ? nullptr : values_[i].data();
}

namespace {

// The server's notices ("terminating connection due to ...") are not written to stderr: a
// lost session shows in the metrics and in the failure that follows.
void quiet(void*, char const*) {}

} // namespace

bool pg_connection::open(std::string const& conninfo, std::string& why)
{
    auto c = pg_conninfo::for_session(conninfo, "catena-webhooks", why);
    return c && open(std::move(*c), why);
}

bool pg_connection::open(pg_conninfo conninfo, std::string& why)
{
    conninfo_ = std::move(conninfo);
    close();
    connect();
    if(!healthy())
    {
        why = "cannot connect to PostgreSQL: " + message();
        return false;
    }
    return true;
}

void pg_connection::connect()
{
    c_ = conninfo_->connect();
    if(c_)
        PQsetNoticeProcessor(c_, quiet, nullptr);
}

bool pg_connection::ensure()
{
    if(healthy())
        return true;
    if(!conninfo_)
        return false;
    prepared_.clear();
    if(c_)
        PQreset(c_);
    else
        connect();
    round_trips_.fetch_add(1, std::memory_order_relaxed);
    if(!healthy())
        failures_.fetch_add(1, std::memory_order_relaxed);
    return healthy();
}

void pg_connection::close()
{
    PQfinish(c_);
    c_ = nullptr;
    prepared_.clear();
}

pg_result pg_connection::counted(PGresult* r)
{
    round_trips_.fetch_add(1, std::memory_order_relaxed);
    pg_result res(r);
    if(!res.ok())
        failures_.fetch_add(1, std::memory_order_relaxed);
    return res;
}

pg_result pg_connection::exec(char const* sql)
{
    if(!c_)
        return {};
    return counted(PQexec(c_, sql));
}

pg_result pg_connection::exec(char const* sql, pg_params const& p, bool binary_results)
{
    if(!c_)
        return {};
    p.finish();
    return counted(PQexecParams(c_, sql, static_cast<int>(p.size()), nullptr, p.pointers_.data(), p.lengths_.data(),
                                p.formats_.data(), binary_results ? 1 : 0));
}

pg_result pg_connection::exec_prepared(char const* name, char const* sql, pg_params const& p, bool binary_results)
{
    if(!c_)
        return {};
    if(!prepared_.count(name))
    {
        auto r = counted(PQprepare(c_, name, sql, static_cast<int>(p.size()), nullptr));
        if(!r.ok())
            return r;
        prepared_.insert(name);
    }
    p.finish();
    return counted(PQexecPrepared(c_, name, static_cast<int>(p.size()), p.pointers_.data(), p.lengths_.data(),
                                  p.formats_.data(), binary_results ? 1 : 0));
}

std::string pg_connection::message() const
{
    std::string m = c_ ? PQerrorMessage(c_) : "out of memory";
    // libpq's messages end in a newline and may span lines.
    for(auto& ch : m)
        if(ch == '\n')
            ch = ' ';
    while(!m.empty() && m.back() == ' ')
        m.pop_back();
    return m.empty() ? "connection lost" : m;
}

std::optional<pg_conninfo> pg_conninfo::for_session(std::string const& conninfo, std::string const& application,
                                                    std::string& why)
{
    char* error = nullptr;
    PQconninfoOption* parsed = PQconninfoParse(conninfo.c_str(), &error);
    if(!parsed)
    {
        std::string m = error ? error : "out of memory";
        PQfreemem(error);
        while(!m.empty() && (m.back() == '\n' || m.back() == ' '))
            m.pop_back();
        why = "the PostgreSQL connection string cannot be read: " + m;
        return std::nullopt;
    }
    pg_conninfo c;
    for(auto const* o = parsed; o->keyword; ++o)
        if(o->val && *o->val)
            c.set(o->keyword, o->val);
    PQconninfoFree(parsed);
    std::pair<char const*, std::string> const defaults[] = {{"connect_timeout", "3"},
                                                            {"keepalives", "1"},
                                                            {"keepalives_idle", "5"},
                                                            {"keepalives_interval", "2"},
                                                            {"keepalives_count", "2"},
                                                            {"application_name", application},
                                                            // The server notices a vanished receiver
                                                            // as soon: its session (and lock) ends.
                                                            {"options", "-c tcp_keepalives_idle=5 -c "
                                                                        "tcp_keepalives_interval=2 -c "
                                                                        "tcp_keepalives_count=2"}};
    for(auto const& [keyword, value] : defaults)
        if(c.get(keyword).empty())
            c.set(keyword, value);
    return c;
}

void pg_conninfo::set(std::string keyword, std::string value)
{
    for(std::size_t i = 0; i < keywords_.size(); ++i)
        if(keywords_[i] == keyword)
        {
            values_[i] = std::move(value);
            return;
        }
    keywords_.push_back(std::move(keyword));
    values_.push_back(std::move(value));
}

std::string pg_conninfo::get(std::string_view keyword) const
{
    for(std::size_t i = 0; i < keywords_.size(); ++i)
        if(keywords_[i] == keyword)
            return values_[i];
    return {};
}

// The arrays point into this object's strings: made at each connect, never kept (a copy or
// a move of the object would leave them pointing at another's).
PGconn* pg_conninfo::connect() const
{
    std::vector<char const*> keywords, values;
    for(std::size_t i = 0; i < keywords_.size(); ++i)
    {
        keywords.push_back(keywords_[i].c_str());
        values.push_back(values_[i].c_str());
    }
    keywords.push_back(nullptr);
    values.push_back(nullptr);
    return PQconnectdbParams(keywords.data(), values.data(), 0);
}

} // namespace catena::webhooks::detail
