#!/usr/bin/env bash
# Acceptance (base backups): backup-list prints WAL-E's seven columns in
# WAL-E's order, tab separated with CRLF line endings (spec §6.4), the
# detail-only columns empty without --detail and filled from the sentinel
# with it; QUERY selects a name or LATEST; an invalid query prints the
# header and fails; --json parses. Checked on the real WAL-E archive and on
# a backup this project wrote.
source "$(dirname "$0")/lib.sh"

cp -r "$WALE_SOURCE_DIR/tests/fixtures/wale-archive-1" "$STORE"
chmod -R u+w "$STORE"
chown -R "$TEST_USER": "$STORE"
fixture_backup=base_00000001000000000000000F_00000040

check_table() {  # check_table FILE DETAIL(yes|no) — every line and field
  "$PY" - "$1" "$2" "$fixture_backup" <<'PY'
import re, sys
data = open(sys.argv[1], "rb").read().decode()
detail = sys.argv[2] == "yes"
assert data.endswith("\r\n"), "lines must end in CRLF"
lines = data.split("\r\n")[:-1]
assert all("\n" not in l for l in lines), "bare LF inside the output"
header = "name\tlast_modified\texpanded_size_bytes\twal_segment_backup_start\twal_segment_offset_backup_start\twal_segment_backup_stop\twal_segment_offset_backup_stop"
assert lines[0] == header, "header row: %r" % lines[0]
for line in lines[1:]:
    f = line.split("\t")
    assert len(f) == 7, "seven fields: %r" % line
    m = re.fullmatch(r"base_([0-9A-F]{24})_([0-9A-F]{8})", f[0])
    assert m, "name: %r" % f[0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?", f[1]), "last_modified: %r" % f[1]
    assert f[3] == m.group(1) and f[4] == m.group(2), "start fields must repeat the name"
    if detail:
        assert re.fullmatch(r"\d+", f[2]), "expanded_size_bytes: %r" % f[2]
        assert re.fullmatch(r"[0-9A-F]{24}", f[5]) and re.fullmatch(r"\d{8}", f[6]), "stop fields: %r" % line
    else:
        assert f[2] == f[5] == f[6] == "", "detail-only fields must be empty: %r" % line
    if f[0] == sys.argv[3] and detail:
        assert (f[2], f[5], f[6]) == ("28610348", "00000001000000000000000F", "00000312"), "fixture detail: %r" % line
print(len(lines) - 1)
PY
}

wal_e backup-list > "$T/list.tsv" 2> /dev/null
assert_eq "$(check_table "$T/list.tsv" no)" 1 "rows in the fixture listing"
wal_e backup-list --detail > "$T/detail.tsv" 2> /dev/null
check_table "$T/detail.tsv" yes > /dev/null || fail "the --detail listing is malformed"
grep -qP "^$fixture_backup\t[^\t]+\t28610348\t00000001000000000000000F\t00000040\t00000001000000000000000F\t00000312\r$" "$T/detail.tsv" \
  || fail "the fixture's detail row differs from its sentinel"

# A backup of our own next to WAL-E's.
primary=$T/primary
start_archiving_primary "$primary" 5432
sleep 1
wal_e backup-push --fast-checkpoint "$primary" 2> "$T/push.log" || { cat "$T/push.log" >&2; fail "backup-push failed"; }
pg_stop "$primary"
wal_e backup-list --detail > "$T/both.tsv" 2> /dev/null
assert_eq "$(check_table "$T/both.tsv" yes)" 2 "rows with two backups"
ours=$(grep -o "as base_[0-9A-F_]*" "$T/push.log" | sed -n 1p | cut -c4-)
[ -n "$ours" ] && [ "$ours" != "$fixture_backup" ] || fail "could not tell the new backup's name"
wal_e backup-list LATEST > "$T/latest.tsv" 2> /dev/null
assert_eq "$(check_table "$T/latest.tsv" no)" 1 "rows for LATEST"
assert_eq "$(sed -n 2p "$T/latest.tsv" | cut -f1)" "$ours" "LATEST is the backup written last"
wal_e backup-list "$fixture_backup" > "$T/one.tsv" 2> /dev/null
assert_eq "$(sed -n 2p "$T/one.tsv" | cut -f1)" "$fixture_backup" "a query by name"

set +e
wal_e backup-list not-a-backup > "$T/bad.tsv" 2> "$T/bad.err"
rc=$?
set -e
assert_eq "$rc" 1 "status of an invalid query"
assert_eq "$(cat "$T/bad.tsv")" "$(head -n 1 "$T/list.tsv")" "an invalid query still prints the header"
assert_one_line_error "$T/bad.err" "invalid backup query submitted"

wal_e backup-list --json --detail > "$T/list.json" 2> /dev/null
"$PY" - "$T/list.json" "$fixture_backup" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
assert len(rows) == 2
keys = ["name", "last_modified", "expanded_size_bytes", "wal_segment_backup_start", "wal_segment_offset_backup_start",
        "wal_segment_backup_stop", "wal_segment_offset_backup_stop"]
for r in rows:
    assert list(r) == keys, list(r)
    assert isinstance(r["expanded_size_bytes"], int)
fixture = [r for r in rows if r["name"] == sys.argv[2]][0]
assert fixture["expanded_size_bytes"] == 28610348 and fixture["wal_segment_offset_backup_stop"] == "00000312"
PY
log PASS
