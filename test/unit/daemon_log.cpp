// SPDX-License-Identifier: BSL-1.0
// test/unit/daemon_log.cpp - catena-webhookd's log lines (time, level, text or JSON) and its rate-limited reports.
#include "log.hpp"
#include "report_log.hpp"

#include <catena/webhooks/error.hpp>

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <regex>
#include <string>
#include <utility>
#include <vector>

namespace unit_daemon_log { // this file's own: the test binaries compile a few files as one (unity build)

namespace {

namespace cw = catena::webhooks;
namespace json = boost::json;
using webhookd::log_field;
using webhookd::log_format;
using webhookd::log_level;
using namespace std::chrono;

// 2026-12-07T14:03:05.123Z
system_clock::time_point const at = sys_days{year{2026} / December / 7} + 14h + 3min + 5s + 123ms + 456us;

std::string line(log_format f, log_level l, std::string_view message, std::vector<log_field> const& fields = {})
{
    return webhookd::format_log_line(f, at, l, message, fields);
}

// What a logger wrote to its stream, line by line.
struct captured
{
    std::FILE* file = std::tmpfile();
    ~captured() { std::fclose(file); }
    std::vector<std::string> lines() const
    {
        std::fflush(file);
        std::rewind(file);
        std::vector<std::string> out;
        std::string cur;
        for(int c; (c = std::fgetc(file)) != EOF;)
        {
            if(c == '\n')
                out.push_back(std::exchange(cur, {}));
            else
                cur += static_cast<char>(c);
        }
        BOOST_TEST(cur.empty()); // every line ends with its newline
        return out;
    }
};

cw::error_report report(cw::error e, std::string detail = "from 203.0.113.9")
{
    cw::error_report r;
    r.ec = e;
    r.reason = cw::reason(r.ec);
    r.http_status = cw::http_status(r.ec);
    r.detail = std::move(detail);
    return r;
}

BOOST_AUTO_TEST_SUITE(daemon_log)

BOOST_AUTO_TEST_CASE(a_text_line_has_the_utc_time_in_milliseconds_the_level_the_message_and_its_fields)
{
    BOOST_TEST(line(log_format::text, log_level::info, "listening on 127.0.0.1:8080") ==
               "2026-12-07T14:03:05.123Z info  listening on 127.0.0.1:8080");
    BOOST_TEST(line(log_format::text, log_level::warn, "no secret matches", {{"reason", "signature_mismatch"},
                                                                             {"status", 401u}}) ==
               "2026-12-07T14:03:05.123Z warn  no secret matches reason=signature_mismatch status=401");
    BOOST_TEST(line(log_format::text, log_level::error, "x") == "2026-12-07T14:03:05.123Z error x");
    BOOST_TEST(line(log_format::text, log_level::debug, "x") == "2026-12-07T14:03:05.123Z debug x");
    // A whole second has its zeros.
    BOOST_TEST(webhookd::format_log_line(log_format::text, sys_days{year{2027} / January / 1}, log_level::info, "y") ==
               "2027-01-01T00:00:00.000Z info  y");
}

BOOST_AUTO_TEST_CASE(a_text_value_that_could_be_misread_is_quoted)
{
    BOOST_TEST(line(log_format::text, log_level::info, "m", {{"a", "two words"}, {"b", ""}, {"c", "k=v"},
                                                            {"d", "say \"hi\""}, {"e", "plain-value_1.2:3/x"}}) ==
               R"(2026-12-07T14:03:05.123Z info  m a="two words" b="" c="k=v" d="say \"hi\"" e=plain-value_1.2:3/x)");
}

// Whatever a peer puts in a header, one call is one line: no newline, no terminal escape.
BOOST_AUTO_TEST_CASE(control_characters_and_invalid_utf8_cannot_break_a_line)
{
    auto const text = line(log_format::text, log_level::warn, "a\nb\rc\td\x1b[31m", {{"id", "x\ny"}});
    BOOST_TEST(text == R"(2026-12-07T14:03:05.123Z warn  a\nb\rc\td\u001b[31m id="x\ny")");
    auto const bad = line(log_format::text, log_level::info, "caf\xc3\xa9 \xff\xc3");
    BOOST_TEST(bad == "2026-12-07T14:03:05.123Z info  caf\xc3\xa9 \xEF\xBF\xBD\xEF\xBF\xBD");
    auto const j = line(log_format::json, log_level::info, "a\n\xff\"\\", {{"k", "\x01\xed\xa0\x80"}});
    BOOST_TEST(j.find('\n') == std::string::npos);
    auto const o = json::parse(j).as_object();
    BOOST_TEST(o.at("message").as_string() == "a\n\xEF\xBF\xBD\"\\");
    BOOST_TEST(o.at("k").as_string() == "\x01\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"); // a surrogate is no UTF-8
}

BOOST_AUTO_TEST_CASE(a_json_line_is_one_object_with_time_level_message_and_the_fields)
{
    auto const j = line(log_format::json, log_level::warn, "no secret matches",
                        {{"reason", "signature_mismatch"}, {"status", 401u}, {"request_id", "r-1"}});
    BOOST_TEST(j == R"({"time":"2026-12-07T14:03:05.123Z","level":"warn","message":"no secret matches",)"
                    R"("reason":"signature_mismatch","status":401,"request_id":"r-1"})");
    BOOST_TEST(json::parse(j).as_object().size() == 6u);
}

BOOST_AUTO_TEST_CASE(levels_and_formats_are_read_by_name)
{
    BOOST_TEST((webhookd::log_level_of("debug") == log_level::debug));
    BOOST_TEST((webhookd::log_level_of("info") == log_level::info));
    BOOST_TEST((webhookd::log_level_of("warn") == log_level::warn));
    BOOST_TEST((webhookd::log_level_of("error") == log_level::error));
    for(auto const* no : {"", "Info", "warning", "fatal", "trace"})
        BOOST_TEST(!webhookd::log_level_of(no), no);
    BOOST_TEST((webhookd::log_format_of("text") == log_format::text));
    BOOST_TEST((webhookd::log_format_of("json") == log_format::json));
    BOOST_TEST(!webhookd::log_format_of("logfmt"));
    for(auto l : {log_level::debug, log_level::info, log_level::warn, log_level::error})
        BOOST_TEST((webhookd::log_level_of(webhookd::name_of(l)) == l));
}

BOOST_AUTO_TEST_CASE(a_logger_writes_what_its_level_lets_through_each_line_whole)
{
    captured out;
    webhookd::logger log(out.file);
    BOOST_TEST(!log.configured());
    log.debug("hidden at info");
    log.info("shown", {{"n", 1}});
    log.configure(log_format::json, log_level::warn);
    BOOST_TEST(log.configured());
    log.info("hidden at warn");
    log.warn("a warning");
    log.error("an error", {{"why", "disk"}});
    auto const lines = out.lines();
    BOOST_REQUIRE_EQUAL(lines.size(), 3u);
    std::regex const text(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info  shown n=1$)");
    BOOST_TEST(std::regex_match(lines[0], text), lines[0]);
    auto const warn = json::parse(lines[1]).as_object();
    BOOST_TEST(warn.at("level").as_string() == "warn");
    BOOST_TEST(warn.at("message").as_string() == "a warning");
    std::regex const time(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$)");
    BOOST_TEST(std::regex_match(std::string(warn.at("time").as_string()), time));
    BOOST_TEST(json::parse(lines[2]).as_object().at("why").as_string() == "disk");
}

BOOST_AUTO_TEST_CASE(reports_are_errors_when_this_side_failed_and_warnings_when_a_peer_did)
{
    BOOST_TEST((webhookd::level_of(report(cw::error::store_failure)) == log_level::error));
    BOOST_TEST((webhookd::level_of(report(cw::error::callback_dead_lettered)) == log_level::error));
    BOOST_TEST((webhookd::level_of(report(cw::error::shutdown_timed_out)) == log_level::error));
    BOOST_TEST((webhookd::level_of(report(cw::error::signature_mismatch)) == log_level::warn));
    BOOST_TEST((webhookd::level_of(report(cw::error::penalty_started)) == log_level::warn));
    cw::error_report other;
    other.ec = boost::system::errc::make_error_code(boost::system::errc::io_error);
    BOOST_TEST((webhookd::level_of(other) == log_level::error));
}

BOOST_AUTO_TEST_CASE(a_report_is_a_log_line_with_its_reason_status_and_ids)
{
    captured out;
    webhookd::logger log(out.file, log_format::json);
    webhookd::report_log reports(log);
    auto r = report(cw::error::signature_mismatch, "no secret of wh-a matches");
    r.request_id = "req-1";
    r.webhook_id = "wh-a";
    reports.write(r);
    auto const lines = out.lines();
    BOOST_REQUIRE_EQUAL(lines.size(), 1u);
    auto const o = json::parse(lines[0]).as_object();
    BOOST_TEST(o.at("level").as_string() == "warn");
    BOOST_TEST(o.at("message").as_string() == "no secret of wh-a matches");
    BOOST_TEST(o.at("reason").as_string() == "signature_mismatch");
    BOOST_TEST(o.at("status").as_int64() == 401);
    BOOST_TEST(o.at("request_id").as_string() == "req-1");
    BOOST_TEST(o.at("webhook_id").as_string() == "wh-a");
}

// 20 lines a second, the rest counted; a penalty's start and end always written.
BOOST_AUTO_TEST_CASE(a_flood_is_cut_at_the_rate_and_summarised_but_penalties_always_get_through)
{
    captured out;
    webhookd::logger log(out.file);
    webhookd::report_log reports(log, 5);
    for(int i = 0; i < 12; ++i)
        reports.write(report(cw::error::signature_mismatch));
    reports.write(report(cw::error::penalty_started, "address 203.0.113.9 rationed"));
    reports.write(report(cw::error::store_failure, "disk full")); // over the rate too: counted
    reports.flush(true);
    auto const lines = out.lines();
    BOOST_REQUIRE_EQUAL(lines.size(), 5u + 1u + 1u);
    for(std::size_t i = 0; i < 5; ++i)
        BOOST_TEST(lines[i].find(" warn  from 203.0.113.9 reason=signature_mismatch status=401") != std::string::npos,
                   lines[i]);
    BOOST_TEST(lines[5].find("address 203.0.113.9 rationed reason=penalty_started") != std::string::npos, lines[5]);
    // The summary has the level of the worst line it stands for.
    BOOST_TEST(lines[6].find(" error 8 lines suppressed suppressed=8") != std::string::npos, lines[6]);
}

BOOST_AUTO_TEST_CASE(reports_below_the_level_are_neither_written_nor_counted)
{
    captured out;
    webhookd::logger log(out.file, log_format::text, log_level::error);
    webhookd::report_log reports(log, 2);
    for(int i = 0; i < 10; ++i)
        reports.write(report(cw::error::signature_mismatch));
    reports.write(report(cw::error::store_failure, "disk full"));
    reports.flush(true);
    auto const lines = out.lines();
    BOOST_REQUIRE_EQUAL(lines.size(), 1u);
    BOOST_TEST(lines[0].find(" error disk full reason=store_failure status=503") != std::string::npos, lines[0]);
}

BOOST_AUTO_TEST_SUITE_END() // daemon_log

} // namespace

} // namespace unit_daemon_log
