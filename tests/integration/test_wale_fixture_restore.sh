#!/usr/bin/env bash
# Acceptance (interoperability): every recovery target of the real WAL-E
# archive in tests/fixtures/wale-archive-1 restores, with backup-fetch and
# wal-fetch under a real PostgreSQL 15, to exactly the data its
# expected.json gives (row counts and md5 of every table, tables absent).
# CI: release build (real WAL-E archives restore with the shipped binaries).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/wale_fixture.sh"

cp -r "$WALE_FIXTURE" "$STORE"
chmod -R u+w "$STORE"
chown -R "$TEST_USER": "$STORE"
start_daemon
restore_fixture_targets
stop_daemon
log PASS
