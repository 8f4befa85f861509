#!/usr/bin/env bash
# Acceptance: the same with no daemon running: the shim falls back to
# running each command in-process (wal-ed --one-shot).
# CI: release build (the spine, in-process, on the shipped binaries).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/archive_restore.sh"
run_archive_restore in-process --wal-segsize=1
[ ! -e "$SOCKET" ] || fail "a daemon socket exists; this test must run without one"
log PASS
