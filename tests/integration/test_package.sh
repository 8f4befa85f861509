#!/usr/bin/env bash
# Packaging: `cpack -G DEB` makes a .deb of the build; dpkg-deb shows its
# metadata and contents; it is installed into a scratch root with
# `dpkg --root` (a dpkg database of its own: the machine's is never
# touched), its maintainer scripts run there chrootlessly with DPKG_ROOT
# set, the installed files are checked (binaries, units with the /usr
# ExecStart, tmpfiles, manual pages that render, a completion script bash
# loads, examples), the installed wal-e and wal-ed run (the shim finds the
# installed wal-ed next to itself), and the package is removed and purged
# cleanly.
#
# What it cannot check without a container: the maintainer scripts as dpkg
# runs them on a real system (chrooted into the root, `adduser` rather than
# `useradd --prefix`, `systemctl daemon-reload` and try-restart with
# systemd running), and the service starting under systemd.
# CI: release build (it packages and installs this build).
source "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || { log "SKIP: installing a package into a scratch root needs root"; exit 0; }
for tool in cpack dpkg-deb dpkg dpkg-shlibdeps useradd groff man; do
  command -v "$tool" > /dev/null || fail "$tool is missing (scripts/install-deps.sh installs it)"
done

log "cpack -G DEB"
version=$("$BIN/wal-ed" --version)
arch=$(dpkg --print-architecture)
(cd "$T" && cpack -G DEB --config "$WALE_BUILD_DIR/CPackConfig.cmake" -B "$T/pkg" > "$T/cpack.log" 2>&1) \
  || { cat "$T/cpack.log" >&2; fail "cpack failed"; }
deb=$T/pkg/wal-e_${version}_${arch}.deb
[ -f "$deb" ] || { ls -l "$T/pkg" >&2; fail "no $deb"; }

log "dpkg-deb --info"
dpkg-deb --field "$deb" Package Version Architecture Maintainer Depends Section > "$T/fields"
assert_eq "$(sed -n 's/^Package: //p' "$T/fields")" wal-e "package name"
assert_eq "$(sed -n 's/^Version: //p' "$T/fields")" "$version" "package version"
assert_eq "$(sed -n 's/^Architecture: //p' "$T/fields")" "$arch" "architecture"
depends=$(sed -n 's/^Depends: //p' "$T/fields")
# dpkg-shlibdeps found the libraries wal-ed links, and the two tools the
# service and postinst use are there.
for dep in libc6 liblzo2-2 liblz4-1 libzstd1 libssl3 libsqlite3-0 libpq5 libgpgme11 libsystemd0 libspdlog1.10-fmt9 adduser; do
  grep -qE "(^|, )$dep( |,|$)" <<< "$depends" || fail "Depends lacks $dep: $depends"
done
dpkg-deb --ctrl-tarfile "$deb" | tar -tvf - > "$T/control-files"
for script in postinst prerm postrm; do
  grep -qE "^-rwxr-xr-x .* \./$script$" "$T/control-files" || { cat "$T/control-files" >&2; fail "no executable $script"; }
done

log "dpkg-deb --contents"
dpkg-deb --contents "$deb" | awk '{print $1, $NF}' | sed 's# \./# /#' > "$T/contents"
expect_entry() {  # expect_entry MODE PATH
  grep -qxF -- "$1 $2" "$T/contents" || { cat "$T/contents" >&2; fail "the package lacks $2 with mode $1"; }
}
expect_entry -rwxr-xr-x /usr/bin/wal-e
expect_entry -rwxr-xr-x /usr/bin/wal-ed
expect_entry -rw-r--r-- /usr/lib/systemd/system/wal-ed.service
expect_entry -rw-r--r-- /usr/lib/systemd/system/wal-ed.socket
expect_entry -rw-r--r-- /usr/lib/tmpfiles.d/wal-e.conf
expect_entry -rw-r--r-- /usr/share/man/man1/wal-e.1
expect_entry -rw-r--r-- /usr/share/man/man8/wal-ed.8
expect_entry -rw-r--r-- /usr/share/bash-completion/completions/wal-e
expect_entry -rw-r--r-- /usr/share/bash-completion/completions/wal-ed
expect_entry -rw-r--r-- /usr/share/doc/wal-e/README.md
expect_entry -rw-r--r-- /usr/share/doc/wal-e/examples/postgresql.conf.snippet
expect_entry -rw-r--r-- /usr/share/doc/wal-e/examples/env/WALE_S3_PREFIX
# The archive module, when this build has it (module/), is in the package too.
for module in "$WALE_BUILD_DIR"/lib/postgresql/*/wal_e_archive.so; do
  [ -f "$module" ] || continue
  major=$(basename "$(dirname "$module")")
  grep -qxE -- "-rw[x-]r-[x-]r-[x-] /usr/lib/postgresql/$major/lib/wal_e_archive.so" "$T/contents" \
    || fail "the package lacks the archive module for PostgreSQL $major"
done
! grep -qE ' /(usr/local|home|tmp|work)' "$T/contents" || fail "the package holds files outside /usr"
! grep -q ' /usr/include' "$T/contents" || fail "the package holds headers"

log "dpkg --root: install into a scratch root"
root=$T/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/etc"
: > "$root/var/lib/dpkg/status"
: > "$root/var/lib/dpkg/available"
# The accounts of the system being installed: root only, no postgres yet.
printf 'root:x:0:0:root:/root:/bin/bash\n' > "$root/etc/passwd"
printf 'root:x:0:\n' > "$root/etc/group"
printf 'root:*::0:99999:7:::\n' > "$root/etc/shadow"
printf 'root:*::\n' > "$root/etc/gshadow"
chmod 0640 "$root/etc/shadow" "$root/etc/gshadow"
# --force-depends: the scratch root's database knows none of the
# dependencies (they are checked against the real system below).
dpkg_root() { dpkg --root="$root" --log=/dev/null --force-script-chrootless --force-depends "$@"; }
dpkg_root -i "$deb" > "$T/dpkg-install.log" 2>&1 || { cat "$T/dpkg-install.log" >&2; fail "dpkg -i into the scratch root failed"; }
grep -qx 'Status: install ok installed' <<< "$(dpkg_root -s wal-e)" || fail "the scratch root's dpkg database does not list wal-e as installed"
# The dependencies are satisfiable on this (Debian 12) machine: each is an
# installed package, or one an installed package provides
# (libspdlog1.10 provides libspdlog1.10-fmt9).
provided=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package} ${Provides}\n' | awk '$1 == "ii" { $1 = ""; print }' | tr -s ' ,' '\n\n')
sed -e 's/([^)]*)//g' -e 's/,/\n/g' <<< "$depends" | tr -d ' ' | while read -r dep; do
  grep -qxF -- "$dep" <<< "$provided" || fail "dependency $dep is not installed here"
done

log "postinst: the postgres user, /var/lib/wal-e, /etc/wal-e.d/env"
pg_uid=$(awk -F: '$1 == "postgres" { print $3 }' "$root/etc/passwd")
pg_gid=$(awk -F: '$1 == "postgres" { print $4 }' "$root/etc/passwd")
[ -n "$pg_uid" ] || fail "postinst did not create the postgres user in the scratch root"
grep -q "^postgres:x:$pg_gid:" "$root/etc/group" || fail "postinst did not create the postgres group"
assert_eq "$(stat -c '%a %u %g' "$root/var/lib/wal-e")" "700 $pg_uid $pg_gid" "/var/lib/wal-e mode and owner"
assert_eq "$(stat -c '%a %u %g' "$root/etc/wal-e.d/env")" "750 0 $pg_gid" "/etc/wal-e.d/env mode and owner"
[ "$(grep -c '^postgres:' "$root/etc/passwd")" = 1 ] || fail "more than one postgres user"

log "the units, tmpfiles and manual pages"
grep -qx "ExecStart=/usr/bin/wal-ed --envdir /etc/wal-e.d/env --socket /run/wal-e/wal-ed.sock --state-dir /var/lib/wal-e" \
  "$root/usr/lib/systemd/system/wal-ed.service" || { grep ExecStart "$root/usr/lib/systemd/system/wal-ed.service" >&2; fail "ExecStart does not run /usr/bin/wal-ed"; }
units=$(grep -hv '^#' "$root"/usr/lib/systemd/system/wal-ed.*)
[[ $units != */usr/local* ]] || fail "a unit still names /usr/local"
grep -q '^Type=notify$' "$root/usr/lib/systemd/system/wal-ed.service" || fail "the service lost Type=notify"
grep -q '^d /var/lib/wal-e 0700 postgres postgres' "$root/usr/lib/tmpfiles.d/wal-e.conf" || fail "tmpfiles.d/wal-e.conf differs"
for page in man1/wal-e.1 man8/wal-ed.8; do
  warnings=$(groff -man -Tutf8 -ww -z "$root/usr/share/man/$page" 2>&1)
  [ -z "$warnings" ] || fail "groff warns about $page: $warnings"
  MANWIDTH=100 man -l "$root/usr/share/man/$page" 2> /dev/null > "$T/$(basename "$page").txt" || fail "man -l cannot render $page"
done
grep -q "WALE_COMPRESSION" "$T/wal-e.1.txt" || fail "wal-e(1) does not describe WALE_COMPRESSION"
grep -q -- "--pool-size" "$T/wal-e.1.txt" || fail "wal-e(1) does not list --pool-size"
grep -q -- "--drain-timeout" "$T/wal-ed.8.txt" || fail "wal-ed(8) does not list --drain-timeout"

log "bash loads the completion"
completion=$root/usr/share/bash-completion/completions/wal-e
complete_words() {  # complete_words WORD...: what completing the last word offers
  bash --norc --noprofile -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _wal_e; printf "%s\n" "${COMPREPLY[@]}"' \
    _ "$completion" "$@"
}
bash --norc --noprofile -c "source '$completion' && complete -p wal-e && complete -p wal-ed" > /dev/null \
  || fail "the completion script does not load in bash"
assert_eq "$(complete_words wal-e wal-pu)" wal-push "completing wal-pu"
assert_eq "$(complete_words wal-e wal-fetch --pre)" --prefetch "completing wal-fetch --pre"
assert_eq "$(complete_words wal-e delete re)" retain "completing delete re"
assert_eq "$(complete_words wal-e wal-push --pre)" "" "completing wal-push --pre (wal-fetch's option)"
assert_eq "$(complete_words wal-e --file-prefix file:///x backup-fetch /tm)" /tmp "completing backup-fetch's directory"

log "the installed binaries run, the shim finding the installed wal-ed"
"$root/usr/bin/wal-ed" --help > "$T/help.txt" || fail "the installed wal-ed --help failed"
grep -q -- "--socket" "$T/help.txt" || fail "wal-ed --help does not list --socket"
assert_eq "$("$root/usr/bin/wal-ed" --version)" "$version" "the installed wal-ed --version"
mkdir -p "$STORE"
chown "$TEST_USER": "$STORE"
assert_eq "$(as_user env -i PATH=/usr/bin:/bin WALE_SOCKET="$T/none.sock" "$root/usr/bin/wal-e" version)" "$version" \
  "the installed wal-e version"
as_user env -i PATH=/usr/bin:/bin WALE_SOCKET="$T/none.sock" WALE_FILE_PREFIX="$PREFIX" WALE_LOG_DESTINATION=stderr \
  "$root/usr/bin/wal-e" backup-list > "$T/list.txt" 2> "$T/list.err" || { cat "$T/list.err" >&2; fail "the installed wal-e backup-list failed"; }
grep -q "starting WAL-E" "$T/list.err" || fail "backup-list did not run in the installed wal-ed"

log "remove, then purge"
dpkg_root -r wal-e > "$T/dpkg-remove.log" 2>&1 || { cat "$T/dpkg-remove.log" >&2; fail "dpkg -r failed"; }
[ ! -e "$root/usr/bin/wal-ed" ] && [ ! -e "$root/usr/lib/systemd/system/wal-ed.service" ] || fail "dpkg -r left files"
[ -d "$root/var/lib/wal-e" ] || fail "dpkg -r removed the journal directory (only purge should)"
dpkg_root -P wal-e > "$T/dpkg-purge.log" 2>&1 || { cat "$T/dpkg-purge.log" >&2; fail "dpkg -P failed"; }
[ ! -e "$root/var/lib/wal-e" ] && [ ! -e "$root/etc/wal-e.d" ] || fail "purge left /var/lib/wal-e or /etc/wal-e.d"
dpkg_root -s wal-e > /dev/null 2>&1 && fail "wal-e is still known to the scratch root's dpkg"
log PASS
