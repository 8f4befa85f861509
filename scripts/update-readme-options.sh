#!/usr/bin/env bash
# Rewrites the README's option table from the option table in the code
# (wal-ed --options-markdown). The unit tests fail when the two differ.
set -euo pipefail
cd "$(dirname "$0")/.."
table=$(build/bin/wal-ed --options-markdown)
python3 - "$table" <<'PY'
import re, sys
readme = open("README.md").read()
begin, end = "<!-- options:begin -->\n", "<!-- options:end -->"
head, rest = readme.split(begin, 1)
_, tail = rest.split(end, 1)
open("README.md", "w").write(head + begin + sys.argv[1] + "\n" + end + tail)
PY
