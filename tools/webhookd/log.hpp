// SPDX-License-Identifier: BSL-1.0
// tools/webhookd/log.hpp - catena-webhookd's log on stderr: one line a message, with its time and level, as text or JSON.
#ifndef CATENA_WEBHOOKD_LOG_HPP
#define CATENA_WEBHOOKD_LOG_HPP

#include <atomic>
#include <chrono>
#include <concepts>
#include <cstdio>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace webhookd {

/// How much the log says: a line is written when its level is at least the configured one.
enum class log_level
{
    debug,
    info,
    warn,
    error,
};

/// text: `2026-12-07T14:03:05.123Z info  message key=value...`; json: one object a line with
/// `time`, `level`, `message` and the line's fields.
enum class log_format
{
    text,
    json,
};

/// "debug", "info", "warn" or "error"; nothing for another word.
std::optional<log_level> log_level_of(std::string_view name) noexcept;
/// "text" or "json"; nothing for another word.
std::optional<log_format> log_format_of(std::string_view name) noexcept;
std::string_view name_of(log_level level) noexcept;

/// A field of a log line; an integer is a number in JSON, everything else a string.
struct log_field
{
    std::string_view key;
    std::string value;
    bool number = false;

    log_field(std::string_view k, std::string v) : key(k), value(std::move(v)) {}
    log_field(std::string_view k, std::string_view v) : key(k), value(v) {}
    log_field(std::string_view k, char const* v) : key(k), value(v) {}
    template<std::integral T>
    log_field(std::string_view k, T n) : key(k), value(std::to_string(n)), number(true)
    {
    }
};

/// One log line, without its newline. The time is UTC with milliseconds (`...T14:03:05.123Z`).
/// Control characters and invalid UTF-8 in the message and the values are escaped, so that
/// one call is one line whatever a peer put in a header. Text: a value with a space, a quote,
/// a backslash, an '=' or nothing in it is quoted, JSON-style (logfmt).
std::string format_log_line(log_format format, std::chrono::system_clock::time_point time, log_level level,
                            std::string_view message, std::span<log_field const> fields = {});

/** Writes log lines to a stream, each with one write, those below its level left out.

    @par Thread safety
    write() and enabled() from any thread; configure() before the threads that log start. */
class logger
{
public:
    explicit logger(std::FILE* out, log_format format = log_format::text, log_level level = log_level::info)
        : out_(out), format_(format), level_(level)
    {
    }

    /// Sets the format and the level from the options; configured() is true from then on.
    void configure(log_format format, log_level level) noexcept;
    /// Whether configure() was called: until then the options are not known, and a refusal of
    /// them is a plain "catena-webhookd: ..." line, not a log line.
    bool configured() const noexcept { return configured_.load(std::memory_order_acquire); }
    bool enabled(log_level level) const noexcept { return level >= level_.load(std::memory_order_relaxed); }

    void write(log_level level, std::string_view message, std::initializer_list<log_field> fields = {});
    void write(log_level level, std::string_view message, std::span<log_field const> fields);

    void debug(std::string_view m, std::initializer_list<log_field> f = {}) { write(log_level::debug, m, f); }
    void info(std::string_view m, std::initializer_list<log_field> f = {}) { write(log_level::info, m, f); }
    void warn(std::string_view m, std::initializer_list<log_field> f = {}) { write(log_level::warn, m, f); }
    void error(std::string_view m, std::initializer_list<log_field> f = {}) { write(log_level::error, m, f); }

private:
    std::FILE* out_;
    std::atomic<log_format> format_;
    std::atomic<log_level> level_;
    std::atomic<bool> configured_{false};
    std::mutex mutex_;
};

/// The daemon's log: stderr, text at info until the options configure it.
logger& daemon_log();

} // namespace webhookd

#endif
