#include "watermark/trust.h"

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/files.h"

namespace nullmark {

std::vector<TrustedCertifier> load_trust_file(const std::string& path) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception&) {
    throw fail(path, ": not a trust file (not JSON)");
  }
  if (!j.is_object() || !j.contains("format") || j.at("format") != "nullmark-trust")
    throw fail(path, ": not a nullmark-trust file");
  if (!j.contains("version") || j.at("version") != 1) throw fail(path, ": unsupported trust file version");
  for (const auto& kv : j.items())
    if (kv.key() != "format" && kv.key() != "version" && kv.key() != "certifiers")
      throw fail(path, ": unexpected field \"", kv.key(), "\"");
  if (!j.contains("certifiers") || !j.at("certifiers").is_array() || j.at("certifiers").empty())
    throw fail(path, ": certifiers must be a non-empty list");
  std::vector<TrustedCertifier> out;
  for (size_t i = 0; i < j.at("certifiers").size(); ++i) {
    const auto& e = j.at("certifiers")[i];
    const std::string where = path + ": certifiers[" + std::to_string(i) + "]";
    if (!e.is_object() || e.size() != 2 || !e.contains("name") || !e.contains("public_key") ||
        !e.at("name").is_string() || !e.at("public_key").is_string())
      throw fail(where, ": expected {\"name\": TEXT, \"public_key\": HEX}");
    TrustedCertifier t;
    t.name = e.at("name").get<std::string>();
    if (t.name.empty()) throw fail(where, ": the name is empty");
    t.public_key = parse_hex<32>(e.at("public_key").get<std::string>(), where + ".public_key");
    for (const auto& o : out)
      if (o.public_key == t.public_key) throw fail(where, ": the key of \"", o.name, "\" is listed again");
    out.push_back(t);
  }
  return out;
}

}  // namespace nullmark
