#!/usr/bin/env bash
# The shim PostgreSQL starts for every segment stays tiny: it links neither
# Boost nor OpenSSL (nor libstdc++, which is linked in statically), and it
# finds wal-ed next to its real path when it is reached through a symlink.
# CI: release build (the static shim exists in this build only).
source "$(dirname "$0")/lib.sh"

libs=$(ldd "$BIN/wal-e" 2>&1 || true)  # a static shim: "not a dynamic executable"
log "ldd wal-e: $(echo "$libs" | tr -s '\t\n' '  ')"
heavy='boost|libssl|libcrypto|libstdc\+\+|sqlite|lzo'
# A sanitizer build brings its runtimes, which need libstdc++.
echo "$libs" | grep -q libasan && heavy='boost|libssl|libcrypto|sqlite|lzo'
if echo "$libs" | grep -qiE "$heavy"; then
  fail "the shim links a heavy library: $libs"
fi
! nm -C "$BIN/wal-e" 2>/dev/null | grep -qE "boost::|SSL_|sqlite3_" || fail "the shim contains Boost, OpenSSL or SQLite code"

# Through a symlink in another directory, with PATH not leading to wal-ed.
mkdir -p "$T/elsewhere/pg_wal/archive_status" "$T/bin"
ln -s "$BIN/wal-e" "$T/bin/wal-e"
head -c 1048576 /dev/urandom > "$T/elsewhere/pg_wal/000000010000000000000001"
mkdir -p "$STORE"
chown -R "$TEST_USER": "$T/elsewhere" "$STORE"
(cd "$T/elsewhere" && as_user env -i PATH=/usr/bin:/bin WALE_FILE_PREFIX="$PREFIX" WALE_SOCKET="$T/none.sock" \
  WALE_LOG_DESTINATION=stderr "$T/bin/wal-e" wal-push pg_wal/000000010000000000000001 2> "$T/err") \
  || { cat "$T/err" >&2; fail "the in-process fallback through a symlinked shim failed"; }
[ -f "$STORE/wal_005/000000010000000000000001.lzo" ] || fail "nothing was archived"
log PASS
