// SPDX-License-Identifier: BSL-1.0
// lib/detail/json_writer.hpp - appends one JSON object to a string, field by field.
#ifndef CATENA_WEBHOOKS_DETAIL_JSON_WRITER_HPP
#define CATENA_WEBHOOKS_DETAIL_JSON_WRITER_HPP

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace catena::webhooks::detail {

/** Writes one JSON object into `out`, field by field, without building a json::object:
    for documents written once per event (store snapshots, history, event lines), where
    building and serializing a json::object cost several times the writing itself.
    Strings are escaped as RFC 8259 requires (quote, backslash, control characters); other
    bytes are copied as they are, so text that came from parsed JSON stays valid UTF-8.
    Keys are written as given: they must need no escaping.
*/
class json_writer
{
public:
    explicit json_writer(std::string& out) : out_(out) {}

    /// Appends `v` as a JSON string, quoted and escaped.
    static void append_string(std::string& out, std::string_view v)
    {
        static constexpr char hex[] = "0123456789abcdef";
        out += '"';
        // Runs of characters that need no escape are appended whole.
        std::size_t run = 0;
        for(std::size_t i = 0; i < v.size(); ++i)
        {
            auto const u = static_cast<unsigned char>(v[i]);
            if(u >= 0x20 && u != '"' && u != '\\')
                continue;
            out.append(v.data() + run, i - run);
            run = i + 1;
            if(u == '"' || u == '\\')
            {
                out += '\\';
                out += v[i];
            }
            else
            {
                out += "\\u00";
                out += hex[u >> 4];
                out += hex[u & 15];
            }
        }
        out.append(v.data() + run, v.size() - run);
        out += '"';
    }

    void field(std::string_view k, std::string_view v)
    {
        key(k);
        append_string(out_, v);
    }
    void field_or_null(std::string_view k, std::string_view v)
    {
        if(v.empty())
            return null_field(k);
        field(k, v);
    }
    void null_field(std::string_view k)
    {
        key(k);
        out_ += "null";
    }
    void bool_field(std::string_view k, bool v)
    {
        key(k);
        out_ += v ? "true" : "false";
    }
    template<class Integer>
    void number_field(std::string_view k, Integer v)
    {
        key(k);
        char buf[24];
        auto const r = std::to_chars(buf, buf + sizeof buf, v);
        out_.append(buf, r.ptr);
    }
    void strings_field(std::string_view k, std::vector<std::string> const& v)
    {
        key(k);
        out_ += '[';
        for(std::size_t i = 0; i < v.size(); ++i)
        {
            if(i)
                out_ += ',';
            append_string(out_, v[i]);
        }
        out_ += ']';
    }
    /// An array of objects under `k`: each(writer, item) writes one item's fields.
    template<class Range, class Each>
    void objects_field(std::string_view k, Range const& items, Each&& each)
    {
        key(k);
        out_ += '[';
        bool first = true;
        for(auto const& item : items)
        {
            if(!first)
                out_ += ',';
            first = false;
            json_writer w(out_);
            each(w, item);
            w.close();
        }
        out_ += ']';
    }
    /// Starts a nested object under `k`: write it with the writer returned, then close() it.
    json_writer object_field(std::string_view k)
    {
        key(k);
        return json_writer(out_);
    }
    /// `json`, already serialized, under `k`.
    void raw_field(std::string_view k, std::string_view json)
    {
        key(k);
        out_ += json;
    }
    void close() { out_ += first_ ? "{}" : "}"; }

private:
    void key(std::string_view k)
    {
        out_ += first_ ? "{\"" : ",\"";
        first_ = false;
        out_ += k;
        out_ += "\":";
    }

    std::string& out_;
    bool first_ = true;
};

} // namespace catena::webhooks::detail

#endif
