// SPDX-License-Identifier: BSL-1.0
// tools/webhookd/apply_flow.hpp - the flow of every provider's `apply`: plan, print, --yes, carry out, report.
#ifndef CATENA_WEBHOOKD_APPLY_FLOW_HPP
#define CATENA_WEBHOOKD_APPLY_FLOW_HPP

#include <boost/json/object.hpp>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace webhookd {

/** One step of an apply plan, as the flow shows, counts and carries it out. */
struct plan_step
{
    enum class kind
    {
        change,    ///< Counted, printed, carried out with --yes.
        unchanged, ///< Counted as unchanged; in the JSON plan only.
        skipped    ///< A delete without --prune: printed, neither counted nor carried out.
    };
    kind what = kind::change;
    boost::json::object json; ///< Its entry in the JSON form's "plan".
    std::string line;         ///< Its line of the text plan (none for an unchanged step).
};

/** Why carrying out a step failed: `message` goes to stderr after the command's name,
    followed by "(N of M changes made)" when `with_progress`. */
struct step_failure
{
    std::string message;
    bool with_progress = true;
};

/** A provider's plan and how to carry out its steps: what `apply` differs in. */
struct apply_plan
{
    std::string who;  ///< The command, first on an error line: "catena-webhookd subscriptions apply".
    std::string file; ///< The file planned, named when there is nothing to do.
    std::string noun; ///< What the file lists: "nothing to do: N <noun> match FILE".
    std::vector<plan_step> steps;
    /// Carries out steps[i], a change: nothing when done.
    std::function<std::optional<step_failure>(std::size_t i)> carry_out;
    std::string applied_note; ///< Appended to "applied N changes" in the text form.
};

/** Prints the plan (text or `as_json`: {"plan":[…],"changes":N,"applied":bool}) and, with
    `yes`, carries out its changes in order, stopping at the first failure.
    @return 0 when done or nothing to do (or without `yes`), 1 when a step failed. */
int run_apply(apply_plan const& p, bool yes, bool as_json);

} // namespace webhookd

#endif
