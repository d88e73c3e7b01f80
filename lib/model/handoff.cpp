// SPDX-License-Identifier: BSL-1.0
// lib/model/handoff.cpp - completions of asynchronous handlers.
#include <catena/webhooks/handoff.hpp>

namespace catena::webhooks {

completion& completion::operator=(completion&& other) noexcept
{
    if(this != &other)
    {
        if(f_)
            fail("completion dropped");
        f_ = std::exchange(other.f_, nullptr);
    }
    return *this;
}

completion::~completion()
{
    if(f_)
        fail("completion dropped");
}

void completion::done() noexcept
{
    if(auto f = std::exchange(f_, nullptr))
        f(std::nullopt);
}

void completion::fail(std::string why) noexcept
{
    if(auto f = std::exchange(f_, nullptr))
    {
        try
        {
            f(std::move(why));
        }
        catch(...)
        {
            // Only allocation can fail here; the call then stays unfinished, as abandon() leaves it.
        }
    }
}

void completion::abandon() noexcept { f_ = nullptr; }

} // namespace catena::webhooks
