// For the targets that read a store's answers: a hostile answer may end in
// wale::Error of the kinds a bad answer means (corrupt, or what the answer
// reports), never in "the user's mistake" (usage) or "no such object".
// Any other exception escapes to libFuzzer, which reports it.
#pragma once

#include "common/core/error.hpp"

namespace wale::fuzz {

template <class F>
void tolerate(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::usage || e.kind() == ErrorKind::not_found) __builtin_trap();
  }
}

}  // namespace wale::fuzz
