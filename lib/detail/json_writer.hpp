// SPDX-License-Identifier: BSL-1.0
// lib/detail/json_writer.hpp - one JSON object written field by field: to a string, or into a json::object.
#ifndef CATENA_WEBHOOKS_DETAIL_JSON_WRITER_HPP
#define CATENA_WEBHOOKS_DETAIL_JSON_WRITER_HPP

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

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
    /// `v` (a json::value, object or array) under `k`, serialized by Boost.JSON.
    template<class Json>
    void value_field(std::string_view k, Json const& v)
    {
        key(k);
        out_ += boost::json::serialize(v);
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

/** The same fields as json_writer, put into a json::object: one function that writes a
    type's fields (lib/detail/json_forms.hpp) serves the event line, written as text, and
    the admin API's answers, built as documents, alike. Each field is inserted after the
    ones before it, so the object serializes in the order written. */
class json_object_writer
{
public:
    explicit json_object_writer(boost::json::object& out) : out_(out) {}

    void field(std::string_view k, std::string_view v) { out_[k] = v; }
    void field_or_null(std::string_view k, std::string_view v)
    {
        if(v.empty())
            return null_field(k);
        field(k, v);
    }
    void null_field(std::string_view k) { out_[k] = nullptr; }
    void bool_field(std::string_view k, bool v) { out_[k] = v; }
    template<class Integer>
    void number_field(std::string_view k, Integer v)
    {
        out_[k] = v;
    }
    void strings_field(std::string_view k, std::vector<std::string> const& v)
    {
        boost::json::array a;
        for(auto const& s : v)
            a.emplace_back(s);
        out_[k] = std::move(a);
    }
    template<class Range, class Each>
    void objects_field(std::string_view k, Range const& items, Each&& each)
    {
        boost::json::array a;
        for(auto const& item : items)
        {
            boost::json::object o;
            json_object_writer w(o);
            each(w, item);
            a.emplace_back(std::move(o));
        }
        out_[k] = std::move(a);
    }
    template<class Json>
    void value_field(std::string_view k, Json const& v)
    {
        out_[k] = v;
    }
    void close() {}

private:
    boost::json::object& out_;
};

} // namespace catena::webhooks::detail

#endif
