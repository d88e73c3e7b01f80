// SPDX-License-Identifier: BSL-1.0
// test/integration/embedding.cpp - a partner's own Beast server handing deliveries to receive(), against the receiver's own listener, over loopback.
#include <catena/webhooks/beast.hpp>
#include <catena/webhooks/receiver.hpp>

#include "receiver_server.hpp"
#include "scenario.hpp"
#include "sim.hpp"
#include "tls_material.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/test/unit_test.hpp>

#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <tuple>
#include <vector>

namespace integration_embedding { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

using namespace catena::webhooks::test::loopback;
namespace beast = boost::beast;
namespace http = beast::http;

// A partner's own HTTP server on loopback: GET /hello is its own route, /webhooks/* goes to
// the receiver's async_receive; the receiver binds nothing of its own.
struct partner_server
{
    class connection : public std::enable_shared_from_this<connection>
    {
    public:
        connection(tcp::socket s, cw::receiver& rx) : stream_(std::move(s)), rx_(rx) {}
        void read()
        {
            parser_.emplace();
            parser_->body_limit(16u << 20);
            http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
                if(!ec)
                    self->route(self->parser_->release());
            });
        }
        void close()
        {
            net::post(stream_.get_executor(), [self = shared_from_this()] { self->stream_.close(); });
        }

    private:
        void route(http::request<http::string_body> req)
        {
            if(req.target().starts_with("/webhooks/"))
            {
                beast::error_code ec;
                auto const peer = stream_.socket().remote_endpoint(ec).address();
                return cw::async_receive(rx_, std::move(req), peer,
                                         net::bind_executor(stream_.get_executor(), [self = shared_from_this()](auto res) {
                                             self->write(std::move(res));
                                         }));
            }
            http::response<http::string_body> res{http::status::ok, req.version()};
            res.body() = "partner route\n";
            res.keep_alive(req.keep_alive());
            res.prepare_payload();
            write(std::move(res));
        }
        void write(http::response<http::string_body> res)
        {
            auto sp = std::make_shared<http::response<http::string_body>>(std::move(res));
            http::async_write(stream_, *sp, [self = shared_from_this(), sp](beast::error_code ec, std::size_t) {
                if(ec || !sp->keep_alive())
                    return self->stream_.close();
                self->read();
            });
        }

        beast::tcp_stream stream_;
        beast::flat_buffer buffer_;
        std::optional<http::request_parser<http::string_body>> parser_;
        cw::receiver& rx_;
    };

    net::io_context ioc;
    cw::receiver rx;
    tcp::acceptor acceptor{ioc, {net::ip::make_address("127.0.0.1"), 0}};
    std::mutex m;
    std::vector<std::weak_ptr<connection>> connections;
    std::vector<cw::event> events;
    std::thread t1, t2;

    explicit partner_server(cw::receiver_options o) : rx(ioc.get_executor(), [&] {
        o.own_listener = false;
        return o;
    }())
    {
        rx.on_any([this](cw::event const& e) {
            std::lock_guard lock(m);
            events.push_back(e);
        });
        auto ec = rx.start();
        BOOST_REQUIRE_MESSAGE(!ec, ec.message());
        accept();
        t1 = std::thread([this] { ioc.run(); });
        t2 = std::thread([this] { ioc.run(); });
    }
    ~partner_server() { shutdown(); }

    void accept()
    {
        acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket s) {
            if(ec)
                return;
            auto c = std::make_shared<connection>(std::move(s), rx);
            {
                std::lock_guard lock(m);
                connections.push_back(c);
            }
            c->read();
            accept();
        });
    }

    // As a partner's server stops: no new connections, the open ones closed, the receiver
    // stopped (it processes what it kept); run() returns once all is done.
    void shutdown()
    {
        if(!t1.joinable())
            return;
        net::post(ioc, [this] { acceptor.close(); });
        {
            std::lock_guard lock(m);
            for(auto& w : connections)
                if(auto c = w.lock())
                    c->close();
        }
        rx.stop();
        t1.join();
        t2.join();
    }

    std::uint16_t port() const { return acceptor.local_endpoint().port(); }
    cs::endpoint ep() const
    {
        cs::endpoint e;
        e.port = port();
        return e;
    }
};

// What a receiver made of the deliveries: each event once, in a comparable form.
std::multiset<std::tuple<std::string, std::string, std::string, bool>> summary(std::vector<cw::event> const& events)
{
    std::multiset<std::tuple<std::string, std::string, std::string, bool>> s;
    for(auto const& e : events)
        s.emplace(e.event_name, e.record_id, e.fleet_key, e.late);
    return s;
}

} // namespace

BOOST_AUTO_TEST_SUITE(embedding)

BOOST_AUTO_TEST_CASE(the_same_deliveries_through_the_own_listener_and_a_partner_server_give_the_same_statuses_events_and_fleet_states)
{
    cs::scenario_options so;
    so.fleets = 12;
    so.seed = 41;
    so.duplicate_rate = 0.3;
    so.jitter = 1500ms;
    so.start = cw::system_now() - 1h;
    auto const sc = cs::make_scenario(so, {}, webhook_id);
    auto o = base_options();
    o.processing.reorder_window = 3000ms; // the whole scenario arrives within it

    server own(o);
    partner_server partner(o);
    cs::client to_own(own.ep(), no_retry()), to_partner(partner.ep(), no_retry());
    for(std::size_t i = 0; i < sc.messages.size(); ++i)
    {
        auto const& m = sc.messages[i];
        auto const a = to_own.send(m.msg, secret, m.duplicate ? 2 : 1);
        auto const b = to_partner.send(m.msg, secret, m.duplicate ? 2 : 1);
        BOOST_TEST_CONTEXT("message " << i)
        {
            BOOST_TEST(a.status == 202u);
            BOOST_TEST(b.status == a.status);
            BOOST_TEST(b.body == a.body);
        }
    }
    // Bad input on the same two ways: the same answers, and nothing kept.
    auto forged = cs::build_request(make_message("vehicle.added", "forged"), "not-the-secret", 1, cw::system_now(), true, "f1");
    auto stale = cs::build_request(make_message("vehicle.added", "stale"), secret, 1, cw::system_now() - 400s, true, "f2");
    auto br = cs::build_request(make_message("vehicle.added", "br"), secret, 1, cw::system_now(), true, "f3");
    set_header(br, "Content-Encoding", "br");
    std::vector<std::string> const bad{
        render_request(forged),
        render_request(stale),
        render_request(br),
        "POST /webhooks/catena HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
        "GET /webhooks/catena HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "POST /webhooks/other HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
    };
    for(auto const& raw : bad)
        BOOST_TEST_CONTEXT(raw.substr(0, raw.find('\r')))
        {
            auto const a = parse_answer(raw_exchange(own.port(), raw, 30s));
            auto const b = parse_answer(raw_exchange(partner.port(), raw, 30s));
            BOOST_TEST(a.status >= 400u);
            BOOST_TEST(b.status == a.status);
            BOOST_TEST(b.body == a.body);
            BOOST_TEST(b.header("retry-after") == a.header("retry-after"));
            BOOST_TEST(b.header("allow") == a.header("allow"));
        }
    BOOST_REQUIRE(own.wait_events(sc.unique_records));
    to_own.close();
    to_partner.close();
    own.shutdown();
    partner.shutdown();

    BOOST_TEST(own.event_count() == sc.unique_records);
    std::lock_guard l1(own.m), l2(partner.m);
    BOOST_TEST((summary(partner.events) == summary(own.events)));
    auto const so_own = own.rx.stats(), so_partner = partner.rx.stats();
    BOOST_TEST(so_partner.accepted == so_own.accepted);
    BOOST_TEST(so_partner.duplicate_events == so_own.duplicate_events);
    BOOST_TEST(so_partner.transitions == so_own.transitions);
    BOOST_TEST(so_partner.rejected == so_own.rejected);
    for(auto const& f : sc.fleets)
        BOOST_TEST_CONTEXT(f.fleet_ref)
        {
            auto const a = own.rx.fleet("ref:" + f.fleet_ref);
            auto const b = partner.rx.fleet("ref:" + f.fleet_ref);
            BOOST_REQUIRE(a.has_value());
            BOOST_REQUIRE(b.has_value());
            BOOST_TEST(cw::to_string(b->stage) == f.stage);
            BOOST_TEST(cw::to_string(b->health) == f.health);
            BOOST_TEST((b->stage == a->stage));
            BOOST_TEST((b->health == a->health));
            BOOST_TEST(b->key == a->key);
            BOOST_TEST(partner.rx.history(b->key).size() == own.rx.history(a->key).size());
        }
}

// A server whose handlers run on threads of their own (thread per request) calls the
// blocking receive(); on a thread of the receiver's executor it would wait forever, so it
// is answered at once instead.
BOOST_AUTO_TEST_CASE(the_blocking_receive_answers_once_kept_and_refuses_where_it_would_wait_forever)
{
    auto o = base_options();
    o.own_listener = false;
    o.store.data_dir = tst::make_temp_dir("receive"); // commits run on the executor's threads
    net::io_context ioc;
    cw::receiver rx(ioc.get_executor(), o);
    auto const wr = cs::build_request(make_message(), secret, 1, cw::system_now(), true, "blocking-1");
    std::vector<cw::header_field> fields{{"Host", "partner.example"}}; // HTTP/1.1 has one, as on the listener
    for(auto const& [n, v] : wr.headers)
        fields.push_back({n, v});
    cw::request_view req;
    req.headers = fields;
    req.body = wr.body;
    req.peer = net::ip::make_address("198.51.100.7");

    // Before start(): nothing is taken.
    auto const early = rx.receive(req);
    BOOST_TEST(early.status == 503u);
    BOOST_TEST((early.reason == cw::error::not_accepting));
    BOOST_TEST(!early.header("Retry-After").empty());

    BOOST_REQUIRE(!rx.start());
    BOOST_TEST(rx.local_endpoint().port() == 0u); // no socket of its own
    std::thread io([&] { ioc.run(); });
    auto const kept = rx.receive(req);
    BOOST_TEST(kept.status == 202u);
    BOOST_TEST(kept.body == "{\"status\":202,\"reason\":\"accepted\"}\n");
    BOOST_TEST(rx.stats().accepted == 1u);

    // On the executor's own thread: refused at once, nothing kept.
    std::promise<cw::response> on_io;
    net::post(ioc, [&] { on_io.set_value(rx.receive(req)); });
    auto const refused = on_io.get_future().get();
    BOOST_TEST(refused.status == 503u);
    BOOST_TEST((refused.reason == cw::error::receive_would_block));
    // async_receive there is the way: the same request again is a copy of a kept one.
    std::promise<cw::response> async_answer;
    net::post(ioc, [&] { rx.async_receive(req, [&](cw::response r) { async_answer.set_value(std::move(r)); }); });
    BOOST_TEST(async_answer.get_future().get().status == 202u);
    BOOST_TEST(rx.stats().accepted == 1u);
    BOOST_TEST(rx.stats().duplicate_requests == 1u);

    rx.stop();
    auto const late = rx.receive(req);
    BOOST_TEST(late.status == 503u);
    BOOST_TEST((late.reason == cw::error::not_accepting));
    io.join(); // run() returns: stop() drained the way in through receive() too
    BOOST_TEST(rx.wait_stopped());
}

BOOST_AUTO_TEST_SUITE_END() // embedding

} // namespace integration_embedding
