#include "extension_check.h"

#include <optional>
#include <string_view>
#include <vector>

namespace netstack {
namespace {

constexpr std::string_view kDeflate = "permessage-deflate";

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t end = text.find(separator, start);
    parts.push_back(Trim(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start)));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

struct Parameter {
  std::string_view name;
  std::optional<std::string_view> value;  // unquoted
};

// name[=value] with value a token or a quoted string.
std::optional<Parameter> ParseParameter(std::string_view text) {
  Parameter parameter;
  size_t equals = text.find('=');
  parameter.name = Trim(text.substr(0, equals));
  if (parameter.name.empty()) return std::nullopt;
  if (equals != std::string_view::npos) {
    std::string_view value = Trim(text.substr(equals + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    if (value.empty()) return std::nullopt;
    parameter.value = value;
  }
  return parameter;
}

// RFC 7692 7.1.2: 1*DIGIT without leading zero, from 8 to 15.
std::optional<int> WindowBits(std::optional<std::string_view> value) {
  if (!value || value->empty() || value->size() > 2 || (*value)[0] == '0') return std::nullopt;
  int bits = 0;
  for (char c : *value) {
    if (c < '0' || c > '9') return std::nullopt;
    bits = bits * 10 + (c - '0');
  }
  if (bits < 8 || bits > 15) return std::nullopt;
  return bits;
}

// What our offer says about a window parameter: absent, present without a value (0), or
// its value.
std::optional<int> Offered(const std::vector<std::string_view>& offer, std::string_view name) {
  for (size_t i = 1; i < offer.size(); ++i) {
    std::optional<Parameter> parameter = ParseParameter(offer[i]);
    if (parameter && parameter->name == name) return parameter->value ? WindowBits(parameter->value).value_or(0) : 0;
  }
  return std::nullopt;
}

}  // namespace

std::string CheckExtensionAnswer(const std::string& offer_text, const std::string& answer_text) {
  std::string_view answer = Trim(answer_text);
  if (answer.empty()) return std::string();
  if (offer_text.empty()) return "the server answered with extensions (" + answer_text + ") although none was offered";
  std::vector<std::string_view> entries = Split(answer, ',');
  if (entries.size() != 1) return "the server answered with more than one extension (" + answer_text + ")";
  std::vector<std::string_view> parts = Split(entries[0], ';');
  if (parts[0] != kDeflate) return "the server answered with an extension that was not offered (" + answer_text + ")";
  const std::vector<std::string_view> offer = Split(offer_text, ';');
  bool seen[4] = {false, false, false, false};
  const std::string_view names[4] = {"server_no_context_takeover", "client_no_context_takeover",
                                     "server_max_window_bits", "client_max_window_bits"};
  for (size_t i = 1; i < parts.size(); ++i) {
    std::optional<Parameter> parameter = ParseParameter(parts[i]);
    if (!parameter) return "the server's permessage-deflate answer has a malformed parameter (" + answer_text + ")";
    int which = -1;
    for (int n = 0; n < 4; ++n) {
      if (parameter->name == names[n]) which = n;
    }
    const std::string name(parameter->name);
    if (which < 0) return "the server's permessage-deflate answer has an unknown parameter " + name;
    if (seen[which]) return "the server's permessage-deflate answer names " + name + " twice";
    seen[which] = true;
    if (which < 2) {  // the context takeover flags take no value
      if (parameter->value) return "the server's permessage-deflate answer gives " + name + " a value";
      continue;
    }
    std::optional<int> bits = WindowBits(parameter->value);
    if (!bits) return "the server's permessage-deflate answer has an invalid " + name + " (8 to 15 expected)";
    std::optional<int> offered = Offered(offer, parameter->name);
    if (which == 3 && !offered) return "the server's permessage-deflate answer has client_max_window_bits, which was not offered";
    if (offered && *offered > 0 && *bits > *offered) {
      return "the server's permessage-deflate answer has " + name + " larger than offered";
    }
  }
  return std::string();
}

}  // namespace netstack
