// A small JSON reader and writer for control-path documents: goim's auth token, the HTTP API's
// {code,message,data} envelope, load-tool summaries. Not for hot paths.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace goim::json {

class Value {
 public:
  enum class Type : uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };
  using Array = std::vector<Value>;
  using Object = std::vector<std::pair<std::string, Value>>;

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_bool() const { return type_ == Type::kBool; }
  bool is_number() const { return type_ == Type::kNumber; }
  // A number written without fraction or exponent that fits int64.
  bool is_int() const { return type_ == Type::kNumber && integral_; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_object() const { return type_ == Type::kObject; }

  bool AsBool() const { return b_; }
  int64_t AsInt() const { return integral_ ? i_ : static_cast<int64_t>(d_); }
  double AsDouble() const { return integral_ ? static_cast<double>(i_) : d_; }
  const std::string& AsString() const { return s_; }
  const Array& AsArray() const { return arr_; }
  const Object& AsObject() const { return obj_; }
  // The member named key of an object, or nullptr.
  const Value* Find(std::string_view key) const;

 private:
  friend class Parser;
  Type type_ = Type::kNull;
  bool b_ = false;
  bool integral_ = false;
  int64_t i_ = 0;
  double d_ = 0;
  std::string s_;
  Array arr_;
  Object obj_;
};

// Parses a whole document (trailing white space only). On failure returns false and sets
// *error to a message with the byte offset. Nesting deeper than 64 levels is refused.
bool Parse(std::string_view text, Value* out, std::string* error);

// s with each byte that does not start a valid UTF-8 sequence replaced by U+FFFD, as Go's
// encoding/json reads and writes strings. Protobuf refuses invalid UTF-8 in string fields, so a
// client's value bound for one (a room, a cookie) goes through this first.
std::string ValidUtf8(std::string_view s);

// Streaming writer: commas and quoting are handled; the caller keeps the nesting right.
class Writer {
 public:
  Writer& BeginObject() { return Open('{'); }
  Writer& EndObject() { return Close('}'); }
  Writer& BeginArray() { return Open('['); }
  Writer& EndArray() { return Close(']'); }
  Writer& Key(std::string_view k);
  Writer& String(std::string_view s);
  Writer& Int(int64_t v);
  Writer& Double(double v);
  // A float32 in its shortest form (0.3, not 0.30000001192092896), as Go encodes float32.
  Writer& Float(float v);
  Writer& Bool(bool v);
  Writer& Null();
  // Inserts an already encoded JSON value.
  Writer& Raw(std::string_view json);

  const std::string& str() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  Writer& Open(char c);
  Writer& Close(char c);
  void Separate();

  std::string out_;
  std::vector<bool> first_;  // per open container: nothing written in it yet
  bool after_key_ = false;
};

// Appends s as a quoted JSON string.
void AppendQuoted(std::string* out, std::string_view s);

}  // namespace goim::json
