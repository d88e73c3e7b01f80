// SPDX-License-Identifier: BSL-1.0
// tools/webhookd/apply_flow.cpp - the flow of every provider's `apply`: plan, print, --yes, carry out, report.
#include "apply_flow.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <cstdio>
#include <iostream>

namespace webhookd {

namespace json = boost::json;

int run_apply(apply_plan const& p, bool yes, bool as_json)
{
    std::size_t changes = 0, kept = 0;
    json::array plan_json;
    for(auto const& s : p.steps)
    {
        if(s.what == plan_step::kind::unchanged)
            ++kept;
        else if(s.what == plan_step::kind::change)
            ++changes;
        if(as_json)
            plan_json.push_back(s.json);
        else if(s.what != plan_step::kind::unchanged)
            std::cout << s.line << '\n';
    }
    if(as_json)
        std::cout << json::serialize(json::object{{"plan", plan_json}, {"changes", changes}, {"applied", yes && changes > 0}})
                  << '\n';
    else if(changes == 0)
        std::cout << "nothing to do: " << kept << " " << p.noun << " match " << p.file << '\n';
    else
        std::cout << changes << " changes, " << kept << " unchanged" << (yes ? "" : "; run again with --yes to apply")
                  << '\n';
    if(!yes || changes == 0)
        return 0;

    std::size_t done = 0;
    for(std::size_t i = 0; i < p.steps.size(); ++i)
    {
        if(p.steps[i].what != plan_step::kind::change)
            continue;
        if(auto failed = p.carry_out(i))
        {
            if(failed->with_progress)
                std::fprintf(stderr, "%s: %s (%zu of %zu changes made)\n", p.who.c_str(), failed->message.c_str(), done,
                             changes);
            else
                std::fprintf(stderr, "%s: %s\n", p.who.c_str(), failed->message.c_str());
            return 1;
        }
        ++done;
    }
    if(!as_json)
        std::cout << "applied " << done << " changes" << p.applied_note << '\n';
    return 0;
}

} // namespace webhookd
