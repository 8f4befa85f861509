#!/usr/bin/env bash
# Acceptance (S3): the spine's end-to-end scenario against an S3 peer that
# verifies SigV4 signatures (the s3rver fork): PostgreSQL 15 archives >= 50
# segments through the daemon to S3, and a copy recovers through wal-fetch.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/peers.sh"
source "$(dirname "$0")/archive_restore.sh"
start_s3_peer
run_archive_restore daemon --wal-segsize=1
log PASS
