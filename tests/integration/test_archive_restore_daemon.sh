#!/usr/bin/env bash
# Acceptance: PostgreSQL 15 archives >= 50 segments through the daemon and a
# copy recovers through wal-fetch to the same data (1 MiB WAL segments, so
# that segment names beyond xxxxxxFF are exercised too).
# CI: release build (the spine, through the daemon, on the shipped binaries).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/archive_restore.sh"
run_archive_restore daemon --wal-segsize=1
grep -q "completed archiving to a file" "$T/daemon.log" || fail "the daemon's log shows no archiving"
log PASS
