// SPDX-License-Identifier: BSL-1.0
// tools/webhookd/dead_letters.cpp - `catena-webhookd dead-letters ...`: a store's dead letters listed, shown and replayed.
#include "dead_letters.hpp"
#include "options.hpp"

#include <catena/webhooks.hpp>

#include <boost/json/serialize.hpp>

#include <cstdio>
#include <iostream>
#include <limits>
#include <string>

namespace webhookd {

namespace {

namespace json = boost::json;

constexpr char usage[] = R"(usage: catena-webhookd dead-letters COMMAND [--data-dir DIR|--store CONNINFO]

The deliveries and calls kept for inspection instead of being lost, in the store of a data
directory (default ./catena-data) or a PostgreSQL store, while no catena-webhookd runs on it.

  list                one JSON line per dead letter, without its body
  show ID             one, with its body
  replay ID|--all     put the delivery back into the inbox: it is processed at the next start,
                      even though its events were seen before

Options:
  --data-dir DIR      the data directory (default ./catena-data)
  --store CONNINFO    a PostgreSQL store instead ("postgresql://user@host/db"; the password
                      from PGPASSWORD or ~/.pgpass, never here)

Exit status: 0 done, 1 not every dead letter was put back (replay --all), 2 a usage error, a
store that cannot be opened, or no such dead letter.
)";

} // namespace

int dead_letters_command(int argc, char** argv)
{
    std::string dir = "./catena-data", verb, arg;
    for(int i = 2; i < argc; ++i)
    {
        std::string a = argv[i];
        if(a == "--help" || a == "-h")
        {
            std::fputs(usage, stdout);
            return 0;
        }
        if((a == "--data-dir" || a == "--store") && i + 1 < argc)
            dir = argv[++i];
        else if(a.rfind("--data-dir=", 0) == 0)
            dir = a.substr(11);
        else if(a.rfind("--store=", 0) == 0)
            dir = a.substr(8);
        else if(verb.empty())
            verb = a;
        else if(arg.empty())
            arg = a;
        else
            fail("dead-letters: unexpected argument " + a);
    }
    if(verb != "list" && verb != "show" && verb != "replay")
        fail("dead-letters: say list, show ID or replay ID|--all (see --help)");
    if(cw::is_postgres_conninfo(dir) && cw::conninfo_has_password(dir))
        fail("dead-letters: the password is never given on the command line: put it in PGPASSWORD or ~/.pgpass");
    cw::error_code ec;
    std::string why;
    auto box = cw::dead_letter_box::open(dir, ec, why);
    if(!box)
        fail(why);
    if(verb == "list")
    {
        for(auto const& x : box->list(std::numeric_limits<std::size_t>::max() / 2))
            std::cout << json::serialize(cw::to_json(x, false)) << '\n';
        return 0;
    }
    if(verb == "replay" && arg == "--all")
    {
        auto const n = box->replay_all(why);
        std::fprintf(stderr, "catena-webhookd: %zu dead letters put back into the inbox%s%s\n", n,
                     why.empty() ? "" : "; not all: ", why.c_str());
        return why.empty() ? 0 : 1;
    }
    if(arg.empty() || arg.find_first_not_of("0123456789") != std::string::npos || arg.size() > 18)
        fail("dead-letters " + verb + ": needs a dead letter id (a number)");
    auto const id = std::stoll(arg);
    if(verb == "show")
    {
        auto x = box->get(id);
        if(!x)
            fail("no dead letter " + arg);
        std::cout << json::serialize(cw::to_json(*x, true)) << '\n';
        return 0;
    }
    if(auto e = box->replay(id, why))
        fail("dead letter " + arg + " not replayed: " + why);
    std::fprintf(stderr, "catena-webhookd: dead letter %s put back into the inbox\n", arg.c_str());
    return 0;
}

} // namespace webhookd
