# The real WAL-E archive in tests/fixtures/wale-archive-1 (sourced after
# lib.sh): restoring its recovery targets from whatever store WALE_ENV
# points at, through the daemon or in-process, whichever wal_e reaches.
WALE_FIXTURE=$WALE_SOURCE_DIR/tests/fixtures/wale-archive-1

# restore_fixture_targets [ID...]: for each recovery target of
# expected.json (all when none is named), backup-fetch its backup, recover
# with wal-fetch as restore_command, and check every table's row count and
# md5 and the tables that must be absent.
restore_fixture_targets() {
  "$PY" - "$WALE_FIXTURE/expected.json" "$@" > "$T/targets" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
for t in e["targets"]:
    if len(sys.argv) > 2 and t["id"] not in sys.argv[2:]:
        continue
    settings = ";".join(f"{k} = '{v}'" for k, v in t["recovery_settings"].items())
    tables = ";".join(f"{name} {v['rows']} {v['md5']}" for name, v in t["tables"].items())
    print(t["id"], t["backup"], settings, tables, ",".join(t["absent_tables"]) or "-", sep="|")
PY
  [ -s "$T/targets" ] || fail "no such recovery target in expected.json: $*"
  local port=5440 id backup settings tables absent dir name rows md5
  while IFS='|' read -r id backup settings tables absent; do
    port=$((port + 1))
    dir=$T/restore-$id
    log "target $id: backup-fetch $backup"
    wal_e backup-fetch "$dir" "$backup" 2> "$T/fetch-$id.log" || { cat "$T/fetch-$id.log" >&2; fail "backup-fetch failed"; }
    # postgresql.conf, pg_hba.conf and pg_ident.conf are not part of a WAL-E backup.
    as_user bash -c "cat > '$dir/postgresql.conf'" <<CONF
listen_addresses = ''
port = $port
unix_socket_directories = '$PGSOCK'
archive_mode = off
restore_command = '$BIN/wal-e wal-fetch %f %p'
$(echo "$settings" | tr ';' '\n')
CONF
    as_user bash -c "printf 'local all all trust\n' > '$dir/pg_hba.conf'; : > '$dir/pg_ident.conf'; touch '$dir/recovery.signal'"
    pg_start "$dir" $(wale_env)
    wait_for 120 bash -c "[ \"\$(psql -X -h '$PGSOCK' -p $port -U postgres -d postgres -Atqc 'SELECT pg_is_in_recovery()' 2>/dev/null)\" = f ]" \
      || fail "target $id: recovery did not end"
    while read -r name rows md5; do
      assert_eq "$(table_checksums "$dir" "$name")" "$name $rows $md5" "target $id: table $name"
    done < <(echo "$tables" | tr ';' '\n')
    if [ "$absent" != "-" ]; then
      for name in ${absent//,/ }; do
        [ -z "$(psql_at "$dir" "SELECT to_regclass('$name')")" ] || fail "target $id: table $name exists but must not"
      done
    fi
    log "target $id: every table matches expected.json"
    pg_stop "$dir"
  done < "$T/targets"
}
