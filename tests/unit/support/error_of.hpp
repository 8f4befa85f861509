// The wale::Error a call throws, for tests of error messages and kinds.
#pragma once

#include <catch2/catch.hpp>

#include "common/core/error.hpp"

namespace wale::test {

// The error `f` throws; fails the test when it throws none.
template <typename F>
Error error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  FAIL("no wale::Error thrown");
  return Error(ErrorKind::permanent, "unreachable");
}

}  // namespace wale::test
