// SPDX-License-Identifier: BSL-1.0
// test/unit/operations.cpp - tracked resource operations: decided by webhook, by poll or by the
// deadline, once; their fleet; what the store keeps of them and takes back after a restart.
#include "processing/operations.hpp"

#include "pipeline_feeder.hpp"

#include <boost/test/unit_test.hpp>

namespace unit_operations { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks;
using namespace std::chrono_literals;
namespace json = boost::json;
namespace tst = catena::webhooks::test;
using tst::feeder;
using tst::message;
using tst::t0;

json::object operation(std::string id, std::string status, std::string connection = "conn-1")
{
    return json::object{{"id", std::move(id)},  {"connection_id", std::move(connection)}, {"fleet_ref", "F1"},
                        {"resource", "message"}, {"operation_type", "create"},             {"status", std::move(status)},
                        {"updated_at", "2025-11-24T16:00:00Z"}};
}

operation_result polled(std::string id, operation_status st)
{
    operation_result r;
    r.operation_id = std::move(id);
    r.status = st;
    r.resource = "message";
    r.resource_id = "msg-9";
    return r;
}

// conn-1 belongs to fleet-1 once its fleet_connection.created is released.
void link_connection(feeder& f)
{
    f.push(message("fleet_connection.created",
                   json::object{{"id", "fc-1"}, {"fleet_id", "fleet-1"}, {"connection_id", "conn-1"}}, "0190-fc"),
           t0);
    f.p.flush(t0);
}

BOOST_AUTO_TEST_SUITE(operations)

BOOST_AUTO_TEST_CASE(a_webhook_outcome_names_the_fleet_of_the_operations_connection)
{
    feeder f;
    link_connection(f);
    operation_result got;
    BOOST_TEST(!f.p.track("op-1", [&](operation_result const& r) { got = r; }, t0 + 1h));
    f.push(message("resource_operation.succeeded", operation("op-1", "success"), "0190-1"), t0 + 1s);
    f.p.flush(t0 + 1s);
    BOOST_TEST((got.status == operation_status::success));
    BOOST_TEST((got.source == operation_source::webhook));
    BOOST_TEST(got.connection_id == "conn-1");
    BOOST_TEST(got.fleet_key == "fleet-1");
}

BOOST_AUTO_TEST_CASE(a_polled_outcome_completes_the_operation_as_its_webhook_would)
{
    feeder f;
    link_connection(f);
    int calls = 0;
    operation_result got;
    BOOST_TEST(!f.p.track(operation_ref{"op-1", "conn-1", "message"}, [&](operation_result const& r) { got = r, ++calls; },
                          t0 + 1h));
    f.p.complete_polled(polled("op-1", operation_status::success), t0);
    BOOST_TEST(calls == 1);
    BOOST_TEST((got.status == operation_status::success));
    BOOST_TEST((got.source == operation_source::poll));
    BOOST_TEST(got.fleet_key == "fleet-1"); // from the connection it was tracked with
    BOOST_TEST(got.idempotency_key == "operation/op-1/poll/success");
    BOOST_TEST(f.sink.decided == std::vector<std::string>{"op-1"});
    BOOST_TEST(f.p.stats().operations_polled == 1u);
    BOOST_TEST(f.p.stats().tracked_operations == 0u);
    BOOST_REQUIRE(!f.sink.kept.empty());
    BOOST_TEST((f.sink.kept.back().result.source == operation_source::poll));
}

BOOST_AUTO_TEST_CASE(a_webhook_after_a_poll_is_a_duplicate_not_a_second_completion)
{
    feeder f;
    int calls = 0;
    BOOST_TEST(!f.p.track(operation_ref{"op-1", "conn-1", "message"}, [&](operation_result const&) { ++calls; }, t0 + 1h));
    f.p.complete_polled(polled("op-1", operation_status::success), t0);
    auto const kept = f.sink.kept.size();
    f.push(message("resource_operation.succeeded", operation("op-1", "success"), "0190-1"), t0 + 1s);
    f.p.flush(t0 + 1s);
    BOOST_TEST(calls == 1);
    BOOST_TEST(f.p.stats().operations_duplicate == 1u);
    BOOST_TEST(f.sink.kept.size() == kept); // the poll's outcome stays the one kept
    // A registration after both gets the poll's outcome.
    operation_result late;
    BOOST_TEST(!f.p.track("op-1", [&](operation_result const& r) { late = r; }, t0 + 1h));
    BOOST_TEST((late.source == operation_source::poll));
}

BOOST_AUTO_TEST_CASE(a_poll_after_the_webhook_changes_nothing)
{
    feeder f;
    int calls = 0;
    BOOST_TEST(!f.p.track(operation_ref{"op-1", "conn-1", "message"}, [&](operation_result const&) { ++calls; }, t0 + 1h));
    f.push(message("resource_operation.failed", operation("op-1", "failed"), "0190-1"), t0);
    f.p.flush(t0);
    f.p.complete_polled(polled("op-1", operation_status::success), t0);
    BOOST_TEST(calls == 1);
    BOOST_TEST(f.p.stats().operations_polled == 0u);
}

BOOST_AUTO_TEST_CASE(the_created_event_makes_an_operation_tracked_by_id_pollable)
{
    feeder f;
    BOOST_TEST(!f.p.track("op-1", [](operation_result const&) {}, t0 + 1h));
    BOOST_REQUIRE(f.sink.tracked.size() == 1u);
    BOOST_TEST(f.sink.tracked[0].connection_id.empty());
    f.push(message("resource_operation.created", operation("op-1", "pending", "conn-7"), "0190-1"), t0);
    f.p.flush(t0);
    BOOST_REQUIRE(f.sink.tracked.size() == 2u);
    BOOST_TEST(f.sink.tracked[1].connection_id == "conn-7");
    BOOST_TEST(f.sink.tracked[1].resource == "message");
    BOOST_TEST(f.p.pending().at(0).connection_id == "conn-7");
}

BOOST_AUTO_TEST_CASE(a_timeout_says_so_in_its_source_and_ends_the_tracking)
{
    feeder f;
    operation_result got;
    BOOST_TEST(!f.p.track(operation_ref{"op-1", "conn-1", "message"}, [&](operation_result const& r) { got = r; }, t0 + 10s));
    f.p.release(t0 + 10s);
    BOOST_TEST((got.status == operation_status::timed_out));
    BOOST_TEST((got.source == operation_source::timeout));
    BOOST_TEST(got.connection_id == "conn-1");
    BOOST_TEST(f.sink.decided == std::vector<std::string>{"op-1"});
    BOOST_TEST(f.p.pending().empty());
}

BOOST_AUTO_TEST_CASE(a_pending_operation_taken_back_from_the_store_is_tracked_until_a_registration_takes_it)
{
    feeder f;
    detail::stored_operation pending;
    pending.result.operation_id = "op-1";
    pending.result.connection_id = "conn-1";
    pending.result.resource = "message";
    pending.completed_at = t0 + 1h; // the deadline
    f.p.restore_operations({pending});
    BOOST_REQUIRE(f.sink.tracked.size() == 1u);
    BOOST_TEST(f.sink.tracked[0].connection_id == "conn-1");
    BOOST_TEST((f.sink.tracked[0].deadline == t0 + 1h));
    BOOST_TEST(f.p.pending().size() == 1u);
    // Decided by a poll before anybody registered again: kept for the registration.
    f.p.complete_polled(polled("op-1", operation_status::failed), t0);
    BOOST_TEST(f.sink.operations.empty());
    BOOST_TEST(f.p.pending().empty());
    operation_result got;
    BOOST_TEST(!f.p.track("op-1", [&](operation_result const& r) { got = r; }, t0 + 1h));
    BOOST_TEST((got.status == operation_status::failed));
    BOOST_TEST((got.source == operation_source::poll));
}

BOOST_AUTO_TEST_CASE(a_registration_after_a_restart_takes_the_place_of_the_restored_one)
{
    feeder f;
    detail::stored_operation pending;
    pending.result.operation_id = "op-1";
    pending.result.connection_id = "conn-1";
    pending.completed_at = t0 + 1h;
    f.p.restore_operations({pending});
    int calls = 0;
    BOOST_TEST(!f.p.track("op-1", [&](operation_result const&) { ++calls; }, t0 + 2h));
    BOOST_TEST(f.p.stats().tracked_operations == 1u);
    BOOST_TEST(f.p.pending().at(0).connection_id == "conn-1"); // kept from the store
    f.p.release(t0 + 1h); // the restored deadline no longer applies
    BOOST_TEST(calls == 0);
    f.push(message("resource_operation.succeeded", operation("op-1", "success"), "0190-1"), t0 + 1h);
    f.p.flush(t0 + 1h);
    BOOST_TEST(calls == 1);
}

BOOST_AUTO_TEST_CASE(a_stored_outcome_newer_than_the_pending_row_wins)
{
    feeder f;
    detail::stored_operation pending;
    pending.result.operation_id = "op-1";
    pending.result.connection_id = "conn-1";
    pending.completed_at = t0 + 1h;
    detail::stored_operation done;
    done.result = polled("op-1", operation_status::success);
    done.updated_at = t0;
    done.completed_at = t0;
    f.p.restore_operations({pending, done});
    BOOST_TEST(f.p.pending().empty());
    BOOST_TEST(f.sink.decided == std::vector<std::string>{"op-1"});
}

BOOST_AUTO_TEST_SUITE_END() // operations

} // namespace

} // namespace unit_operations
