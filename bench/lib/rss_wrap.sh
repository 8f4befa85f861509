#!/bin/sh
# rss_wrap.sh OUT COMMAND...: runs COMMAND under GNU time and appends one
# line "MAXRSS_KB EXIT_STATUS ELAPSED_S COMMAND" to OUT (the largest
# resident set of COMMAND and the processes it waited for), then exits
# with COMMAND's status. Used to measure per-call archivers (wal-e
# in-process, pgBackRest archive-push/get, cp).
out=$1; shift
exec /usr/bin/time -a -o "$out" -f "%M %x %e $*" "$@"
