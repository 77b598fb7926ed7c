// The message of the nullmark::Error a callable throws ("" if it throws none), for asserting that
// bad input is reported with the right words.
#pragma once
#include <string>

#include "common/error.h"

namespace nullmark::test {

template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace nullmark::test
