// SPDX-License-Identifier: BSL-1.0
// lib/store/dead_letters.cpp - the dead letters of a stopped receiver's store, listed and replayed.
#include <catena/webhooks/dead_letters.hpp>

#include "detail/json_forms.hpp"
#include "store/conninfo.hpp"
#include "store/dead_letter_rows.hpp"
#include "store/schema.hpp"

#include <catena/webhooks/version.hpp>
#if CATENA_WEBHOOKS_HAS_POSTGRESQL
#include "store/pg_schema.hpp"
#endif

#include <filesystem>
#include <limits>

namespace catena::webhooks {

struct dead_letter_box::impl
{
    detail::store_lock lock;
    detail::connection db;
#if CATENA_WEBHOOKS_HAS_POSTGRESQL
    std::unique_ptr<detail::pg_connection> pg; // a shared store instead

    std::vector<stored_dead_letter> list(std::size_t max)
    {
        return pg ? detail::pg_list_dead_letters(*pg, max) : detail::list_dead_letters(db, max);
    }
    std::optional<stored_dead_letter> get(std::int64_t id)
    {
        return pg ? detail::pg_read_dead_letter(*pg, id) : detail::read_dead_letter(db, id);
    }
    error_code replay(std::int64_t id, std::string& why)
    {
        return pg ? detail::pg_replay_dead_letter(*pg, id, why) : detail::replay_dead_letter(db, id, why);
    }
#else
    std::vector<stored_dead_letter> list(std::size_t max) { return detail::list_dead_letters(db, max); }
    std::optional<stored_dead_letter> get(std::int64_t id) { return detail::read_dead_letter(db, id); }
    error_code replay(std::int64_t id, std::string& why) { return detail::replay_dead_letter(db, id, why); }
#endif
};

std::optional<dead_letter_box> dead_letter_box::open(std::string const& data_dir, error_code& ec, std::string& why)
{
    if(is_postgres_conninfo(data_dir))
    {
#if !CATENA_WEBHOOKS_HAS_POSTGRESQL
        ec = error::invalid_options;
        why = detail::no_postgresql_support(data_dir);
        return std::nullopt;
#else
        auto p = std::make_unique<impl>();
        p->pg = std::make_unique<detail::pg_connection>();
        auto const where = detail::redact_conninfo(data_dir);
        auto const conninfo = detail::pg_conninfo::for_session(data_dir, "catena-webhookd dead-letters", why);
        if(!conninfo || !p->pg->open(*conninfo, why))
        {
            why += " (" + where + ")";
            ec = error::store_failure;
            return std::nullopt;
        }
        if((ec = detail::open_pg_schema(*p->pg, where, why)))
            return std::nullopt;
        return dead_letter_box(std::move(p));
#endif
    }
    auto const path = detail::database_path(data_dir);
    if(!std::filesystem::exists(path))
    {
        ec = error::invalid_options;
        why = "no store in " + data_dir + " (" + path + " does not exist)";
        return std::nullopt;
    }
    auto p = std::make_unique<impl>();
    ec = p->lock.acquire(path, why);
    if(!ec)
        ec = detail::open_schema(p->db, path, {}, why);
    if(ec)
        return std::nullopt;
    return dead_letter_box(std::move(p));
}

dead_letter_box::dead_letter_box(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
dead_letter_box::dead_letter_box(dead_letter_box&&) noexcept = default;
dead_letter_box& dead_letter_box::operator=(dead_letter_box&&) noexcept = default;
dead_letter_box::~dead_letter_box() = default;

std::vector<stored_dead_letter> dead_letter_box::list(std::size_t max) const
{
    return impl_->list(max);
}

std::optional<stored_dead_letter> dead_letter_box::get(std::int64_t id) const
{
    return impl_->get(id);
}

error_code dead_letter_box::replay(std::int64_t id, std::string& why)
{
    return impl_->replay(id, why);
}

std::size_t dead_letter_box::replay_all(std::string& why)
{
    std::size_t n = 0;
    for(auto const& d : impl_->list(std::numeric_limits<std::int64_t>::max()))
    {
        std::string w;
        if(impl_->replay(d.id, w))
        {
            if(why.empty())
                why = w;
            continue;
        }
        ++n;
    }
    return n;
}

boost::json::object to_json(stored_dead_letter const& x, bool with_body)
{
    return detail::json_object_of(x, with_body);
}

} // namespace catena::webhooks
