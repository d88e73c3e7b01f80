// SPDX-License-Identifier: BSL-1.0
// tools/webhookd/log.cpp - catena-webhookd's log on stderr: one line a message, with its time and level, as text or JSON.
#include "log.hpp"

#include <ctime>

namespace webhookd {

namespace {

constexpr std::string_view replacement = "\xEF\xBF\xBD"; // U+FFFD, for a byte that is not UTF-8

// The length of the UTF-8 sequence at s[i], or 0 when it is not one.
std::size_t utf8_length(std::string_view s, std::size_t i) noexcept
{
    auto const b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    auto const cont = [&](std::size_t k, unsigned lo = 0x80, unsigned hi = 0xBF) {
        return i + k < s.size() && b(k) >= lo && b(k) <= hi;
    };
    unsigned const c = b(0);
    if(c < 0x80)
        return 1;
    if(c >= 0xC2 && c <= 0xDF)
        return cont(1) ? 2 : 0;
    if(c >= 0xE0 && c <= 0xEF)
    {
        unsigned const lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        return cont(1, lo, hi) && cont(2) ? 3 : 0;
    }
    if(c >= 0xF0 && c <= 0xF4)
    {
        unsigned const lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
    }
    return 0;
}

// Appends `s` with control characters escaped JSON-style and invalid UTF-8 replaced; `quotes`:
// as the inside of a JSON string (quotes and backslashes escaped too).
void append_escaped(std::string& out, std::string_view s, bool quotes)
{
    static constexpr char hex[] = "0123456789abcdef";
    for(std::size_t i = 0; i < s.size();)
    {
        auto const c = static_cast<unsigned char>(s[i]);
        if(auto const n = utf8_length(s, i); n > 1)
        {
            out.append(s.substr(i, n));
            i += n;
            continue;
        }
        else if(n == 0)
            out += replacement;
        else if(c == '\n')
            out += "\\n";
        else if(c == '\r')
            out += "\\r";
        else if(c == '\t')
            out += "\\t";
        else if(c < 0x20 || c == 0x7F)
        {
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 0xF];
        }
        else if(quotes && (c == '"' || c == '\\'))
        {
            out += '\\';
            out += static_cast<char>(c);
        }
        else
            out += static_cast<char>(c);
        ++i;
    }
}

void append_json_string(std::string& out, std::string_view s)
{
    out += '"';
    append_escaped(out, s, true);
    out += '"';
}

// A text value goes bare when nothing in it could be read as the end of the value.
bool bare(std::string_view v) noexcept
{
    if(v.empty())
        return false;
    for(unsigned char c : v)
        if(c <= ' ' || c == '"' || c == '\\' || c == '=' || c == 0x7F || c >= 0x80)
            return false;
    return true;
}

void append_time(std::string& out, std::chrono::system_clock::time_point t)
{
    using namespace std::chrono;
    auto const ms = floor<milliseconds>(t);
    auto const s = floor<seconds>(ms);
    std::time_t const tt = system_clock::to_time_t(s);
    std::tm tm{};
    ::gmtime_r(&tt, &tm);
    char buf[40];
    auto const n = std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                                 static_cast<int>((ms - s).count()));
    out.append(buf, static_cast<std::size_t>(n));
}

} // namespace

std::optional<log_level> log_level_of(std::string_view name) noexcept
{
    if(name == "debug")
        return log_level::debug;
    if(name == "info")
        return log_level::info;
    if(name == "warn")
        return log_level::warn;
    if(name == "error")
        return log_level::error;
    return std::nullopt;
}

std::optional<log_format> log_format_of(std::string_view name) noexcept
{
    if(name == "text")
        return log_format::text;
    if(name == "json")
        return log_format::json;
    return std::nullopt;
}

std::string_view name_of(log_level level) noexcept
{
    switch(level)
    {
    case log_level::debug: return "debug";
    case log_level::info: return "info";
    case log_level::warn: return "warn";
    case log_level::error: return "error";
    }
    return "error";
}

std::string format_log_line(log_format format, std::chrono::system_clock::time_point time, log_level level,
                            std::string_view message, std::span<log_field const> fields)
{
    std::string out;
    out.reserve(64 + message.size());
    auto const level_name = name_of(level);
    if(format == log_format::json)
    {
        out += "{\"time\":\"";
        append_time(out, time);
        out += "\",\"level\":\"";
        out += level_name;
        out += "\",\"message\":";
        append_json_string(out, message);
        for(auto const& f : fields)
        {
            out += ',';
            append_json_string(out, f.key);
            out += ':';
            if(f.number)
                out += f.value;
            else
                append_json_string(out, f.value);
        }
        out += '}';
        return out;
    }
    append_time(out, time);
    out += ' ';
    out += level_name;
    out.append(6 - level_name.size(), ' '); // the messages start in one column
    append_escaped(out, message, false);
    for(auto const& f : fields)
    {
        out += ' ';
        append_escaped(out, f.key, false);
        out += '=';
        if(bare(f.value))
            out += f.value;
        else
            append_json_string(out, f.value);
    }
    return out;
}

void logger::configure(log_format format, log_level level) noexcept
{
    format_.store(format, std::memory_order_relaxed);
    level_.store(level, std::memory_order_relaxed);
    configured_.store(true, std::memory_order_release);
}

void logger::write(log_level level, std::string_view message, std::initializer_list<log_field> fields)
{
    write(level, message, std::span<log_field const>(fields.begin(), fields.size()));
}

void logger::write(log_level level, std::string_view message, std::span<log_field const> fields)
{
    if(!enabled(level))
        return;
    auto line = format_log_line(format_.load(std::memory_order_relaxed), std::chrono::system_clock::now(), level,
                                message, fields);
    line += '\n';
    std::lock_guard lock(mutex_);
    std::fwrite(line.data(), 1, line.size(), out_);
    std::fflush(out_);
}

logger& daemon_log()
{
    static logger log(stderr);
    return log;
}

} // namespace webhookd
