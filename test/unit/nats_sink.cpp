// SPDX-License-Identifier: BSL-1.0
// test/unit/nats_sink.cpp - the NATS client protocol as the NATS sink speaks it: framing, HPUB, PubAcks.
#include "sinks/nats_sink.hpp"

#include <boost/test/unit_test.hpp>

namespace unit_nats_sink { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace webhookd::sinks;

BOOST_AUTO_TEST_SUITE(nats_sink)

BOOST_AUTO_TEST_CASE(frames_operations_split_anywhere)
{
    std::string const wire = "INFO {\"server_id\":\"x\",\"headers\":true}\r\nPING\r\n+OK\r\n"
                             "MSG _INBOX.ab.7 1 22\r\n{\"stream\":\"S\",\"seq\":9}\r\n"
                             "HMSG _INBOX.ab.8 1 16 16\r\nNATS/1.0 503\r\n\r\n\r\n-ERR 'Authorization Violation'\r\n";
    for(std::size_t cut = 0; cut <= wire.size(); ++cut)
        BOOST_TEST_CONTEXT("split at " << cut)
        {
            nats_parser p;
            std::vector<nats_op> ops;
            BOOST_REQUIRE(p.feed(wire.substr(0, cut)));
            while(auto op = p.next())
                ops.push_back(*op);
            BOOST_REQUIRE(p.feed(wire.substr(cut)));
            while(auto op = p.next())
                ops.push_back(*op);
            BOOST_REQUIRE(ops.size() == 6u);
            BOOST_TEST(ops[0].kind == nats_op::info);
            BOOST_TEST(ops[1].kind == nats_op::ping);
            BOOST_TEST(ops[2].kind == nats_op::ok);
            BOOST_TEST(ops[3].kind == nats_op::msg);
            BOOST_TEST(ops[3].subject == "_INBOX.ab.7");
            BOOST_TEST(ops[3].payload == "{\"stream\":\"S\",\"seq\":9}");
            BOOST_TEST(ops[4].headers == "NATS/1.0 503\r\n\r\n");
            BOOST_TEST(ops[4].payload.empty());
            BOOST_TEST(ops[5].kind == nats_op::err);
            BOOST_TEST(ops[5].payload == "'Authorization Violation'");
        }
}

BOOST_AUTO_TEST_CASE(refuses_a_message_whose_sizes_lie)
{
    nats_parser p;
    BOOST_REQUIRE(p.feed("HMSG a 1 20 10\r\n"));
    auto op = p.next();
    BOOST_REQUIRE(op.has_value());
    BOOST_TEST(op->kind == nats_op::err);
    BOOST_TEST(!p.next().has_value()); // once: then nothing more
    BOOST_TEST(!p.feed("PING\r\n"));
    nats_parser q;
    BOOST_REQUIRE(q.feed("WHAT\r\n"));
    BOOST_TEST(q.next()->kind == nats_op::err);
}

BOOST_AUTO_TEST_CASE(publishes_with_the_idempotency_key_as_nats_msg_id)
{
    auto const wire = nats_hpub("catena.events", "_INBOX.ab.3", {"event", "wh/ev/rec", "{\"a\":1}"});
    std::string const headers = "NATS/1.0\r\nNats-Msg-Id: wh/ev/rec\r\n\r\n";
    BOOST_TEST(wire == "HPUB catena.events _INBOX.ab.3 " + std::to_string(headers.size()) + " " +
                           std::to_string(headers.size() + 7) + "\r\n" + headers + "{\"a\":1}\r\n");
}

BOOST_AUTO_TEST_CASE(tells_a_pub_ack_from_a_refusal)
{
    auto const reply = [](std::string headers, std::string payload) {
        return nats_reply_problem(nats_op{nats_op::msg, "_INBOX.x.1", std::move(headers), std::move(payload)});
    };
    BOOST_TEST(reply("", R"({"stream":"CATENA","seq":4})").empty());
    BOOST_TEST(reply("", R"({"stream":"CATENA","seq":4,"duplicate":true})").empty());
    BOOST_TEST(reply("NATS/1.0 503\r\n\r\n", "").find("no responders") != std::string::npos);
    BOOST_TEST(!reply("", R"({"error":{"code":503,"err_code":10077,"description":"maximum messages exceeded"}})").empty());
    BOOST_TEST(!reply("", "not json").empty());
    // A stream that exists with another configuration is there: creating it again is no failure.
    BOOST_TEST(reply("", R"({"error":{"code":400,"err_code":10058,"description":"stream name already in use"}})").empty());
}

BOOST_AUTO_TEST_SUITE_END() // nats_sink

} // namespace

} // namespace unit_nats_sink
