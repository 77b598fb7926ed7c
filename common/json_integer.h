// A whole number from parsed JSON, range-checked before any conversion: nlohmann's get<int>() of
// 4.4e92 or 2.5 converts a float to an integer, which is undefined or silently truncates. Parsers of
// outside JSON read their integers through this.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "common/error.h"

namespace nullmark {

inline long json_integer(const nlohmann::json& v, long lo, long hi, const std::string& what) {
  const bool whole = v.is_number_integer() && (v.is_number_unsigned() ? v.get<uint64_t>() <= static_cast<uint64_t>(hi)
                                                                      : true);
  if (!whole || v.get<long>() < lo || v.get<long>() > hi)
    throw fail(what, " must be an integer in [", lo, ", ", hi, "], got ", v.dump());
  return v.get<long>();
}

}  // namespace nullmark
