// SPDX-License-Identifier: BSL-1.0
// test/unit/sink.cpp - a sink keeps each message until acknowledged, sends again what a lost connection or a refusal left unanswered.
#include "sinks/sink.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

namespace unit_sink { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

namespace net = boost::asio;
using namespace webhookd::sinks;

// A protocol whose destination the test plays: what was transmitted, and the answers.
class fake_sink final : public sink
{
public:
    using sink::sink;
    std::vector<std::pair<std::uint64_t, std::string>> sent;
    int opens = 0;
    bool up = true;

    void answer_ok(std::uint64_t id) { acknowledged(id); }
    void answer_no(std::uint64_t id) { refused(id, "refused"); }
    void drop() { lost("connection lost"); }

private:
    void open() override
    {
        ++opens;
        if(up)
            ready();
        else
            lost("connection refused");
    }
    void transmit(std::uint64_t id, message const& m) override { sent.emplace_back(id, m.idempotency_key); }
    void close() override {}
};

struct fixture
{
    net::io_context ioc;
    std::shared_ptr<fake_sink> s = std::make_shared<fake_sink>(ioc.get_executor(), "fake://x");
    std::vector<std::string> acked;

    void hand(std::string key)
    {
        s->hand(std::make_shared<message const>(message{"event", key, "{}"}), [this, key] { acked.push_back(key); });
    }
    void settle()
    {
        ioc.restart();
        ioc.poll();
    }
    // Runs handlers (the back-off's timer among them) until `done`.
    template<class Pred>
    void run_until(Pred done)
    {
        ioc.restart();
        while(!done() && ioc.run_one() > 0)
            ;
    }
};

BOOST_FIXTURE_TEST_SUITE(sink_, fixture)

BOOST_AUTO_TEST_CASE(acknowledges_a_message_only_when_its_destination_did)
{
    s->start();
    hand("a");
    hand("b");
    settle();
    BOOST_REQUIRE(s->sent.size() == 2u);
    BOOST_TEST(acked.empty());
    BOOST_TEST(s->status().pending == 2u);
    s->answer_ok(s->sent[1].first);
    BOOST_TEST(acked == std::vector<std::string>{"b"});
    BOOST_TEST(s->status().pending == 1u);
    BOOST_TEST(s->status().acknowledged == 1u);
    BOOST_TEST(s->status().lag_seconds >= 0.0);
}

BOOST_AUTO_TEST_CASE(sends_again_what_was_out_when_the_connection_was_lost)
{
    s->start();
    hand("a");
    settle();
    s->drop();
    BOOST_TEST(!s->status().connected);
    BOOST_TEST(s->status().last_error == "connection lost");
    // An answer that comes for the copy sent before the loss counts for nothing.
    s->answer_ok(s->sent[0].first);
    BOOST_TEST(acked.empty());
    run_until([&] { return s->sent.size() == 2u; }); // the back-off, then open() again
    BOOST_TEST(s->opens == 2);
    BOOST_REQUIRE(s->sent.size() == 2u);
    BOOST_TEST(s->sent[1].second == "a");
    BOOST_TEST(s->status().retries == 1u);
    s->answer_ok(s->sent[1].first);
    BOOST_TEST(acked == std::vector<std::string>{"a"});
}

BOOST_AUTO_TEST_CASE(a_refused_message_goes_out_again_after_the_back_off_and_is_never_dropped)
{
    s->start();
    hand("a");
    settle();
    for(int i = 0; i < 3; ++i)
    {
        s->answer_no(s->sent.back().first);
        BOOST_TEST(s->status().last_error == "refused");
        run_until([&] { return s->sent.size() == static_cast<std::size_t>(i + 2); }); // the back-off
        BOOST_REQUIRE(s->sent.size() == static_cast<std::size_t>(i + 2));
    }
    BOOST_TEST(s->status().pending == 1u);
    BOOST_TEST(s->status().retries == 3u);
    s->answer_ok(s->sent.back().first);
    BOOST_TEST(acked == std::vector<std::string>{"a"});
}

BOOST_AUTO_TEST_CASE(holds_messages_while_its_destination_is_down)
{
    s->up = false;
    s->start();
    hand("a");
    settle();
    BOOST_TEST(s->sent.empty());
    s->up = true;
    run_until([&] { return !s->sent.empty(); }); // the back-off, then a successful open()
    BOOST_REQUIRE(s->sent.size() == 1u);
    BOOST_TEST(s->status().connected);
    BOOST_TEST(s->status().last_error.empty());
}

BOOST_AUTO_TEST_SUITE_END() // sink_

} // namespace

} // namespace unit_sink
