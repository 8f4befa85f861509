// The manual pages wal-e(1) and wal-ed(8) and the bash completion script,
// generated (at build time: wal-ed --man, wal-ed --bash-completion) from the
// option and command tables that drive the parser, --help and the README's
// option table, so that none of them can drift from the program.
#pragma once

#include <string>
#include <string_view>

namespace wale::config {

// troff source (man(7) macros) for "wal-e" (section 1) or "wal-ed"
// (section 8); throws wale::Error(usage) for any other name.
std::string man_page(std::string_view program, std::string_view version);

// A bash completion script for wal-e and wal-ed: commands, each command's
// options, and file, directory or word completion for their arguments.
std::string bash_completion();

}  // namespace wale::config
