#!/usr/bin/env bash
# Acceptance (S3): missing or wrong credentials give a one-line error that
# names the variable and never shows the secret; --aws-instance-profile
# takes credentials from the instance metadata service (IMDSv2), here
# fake_imds.py; WALE_S3_ENDPOINT is checked.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/peers.sh"
start_s3_peer
data=$T/data
mkdir -p "$data/pg_wal/archive_status"
head -c 1048576 /dev/urandom > "$data/pg_wal/000000010000000000000001"
chown -R "$TEST_USER": "$data"
base=("${WALE_ENV[@]}")
# try EXPECTED_STATUS PATTERN VAR=VALUE... : an in-process push with the
# given environment (after `env -u` of the S3 variables).
try() {
  local status=$1 pattern=$2; shift 2
  set +e
  (cd "$data" && as_user env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_REGION -u WALE_S3_ENDPOINT \
    WALE_SOCKET="$T/none.sock" WALE_LOG_DESTINATION=stderr WALE_STORE_TIMEOUT=3 "$@" \
    "$BIN/wal-e" wal-push pg_wal/000000010000000000000001) > "$T/out" 2> "$T/err"
  local rc=$?
  set -e
  [ "$rc" = "$status" ] || { cat "$T/err" >&2; fail "expected status $status, got $rc"; }
  [ "$status" = 0 ] || assert_one_line_error "$T/err" "$pattern"
  if grep -q "definitely-not-the-secret" "$T/out" "$T/err"; then fail "a secret was printed"; fi
}
prefix=WALE_S3_PREFIX=s3://$S3_BUCKET/archive
endpoint=WALE_S3_ENDPOINT=http+path://127.0.0.1:$S3_PORT

try 1 "AWS_ACCESS_KEY_ID is not set" "$prefix" "$endpoint"
try 1 "AWS_SECRET_ACCESS_KEY is not set" "$prefix" "$endpoint" AWS_ACCESS_KEY_ID=S3RVER
try 1 "must define one of AWS_REGION or WALE_S3_ENDPOINT" "$prefix" AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
try 1 "SignatureDoesNotMatch.*check AWS_SECRET_ACCESS_KEY" "$prefix" "$endpoint" AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=definitely-not-the-secret
try 1 "InvalidAccessKeyId.*check AWS_ACCESS_KEY_ID" "$prefix" "$endpoint" AWS_ACCESS_KEY_ID=NOSUCHKEY AWS_SECRET_ACCESS_KEY=definitely-not-the-secret
try 1 "WALE_S3_ENDPOINT='ftp\\+path://x' names the protocol 'ftp'" "$prefix" WALE_S3_ENDPOINT=ftp+path://x AWS_ACCESS_KEY_ID=a AWS_SECRET_ACCESS_KEY=b
try 1 "WALE_S3_ENDPOINT='http\\+path://u:p@x' contains a user name" "$prefix" WALE_S3_ENDPOINT=http+path://u:p@x AWS_ACCESS_KEY_ID=a AWS_SECRET_ACCESS_KEY=b
try 1 "127.0.0.1:1" "$prefix" WALE_S3_ENDPOINT=http+path://127.0.0.1:1 AWS_ACCESS_KEY_ID=a AWS_SECRET_ACCESS_KEY=b
log "missing, wrong and malformed settings give one-line errors without secrets"

imds_port=$(free_port)
"$PY" "$(dirname "$0")/fake_imds.py" "$imds_port" S3RVER S3RVER > "$T/imds.log" 2>&1 &
remember_pid $!
wait_port "$imds_port"
try 0 "" "$prefix" "$endpoint" AWS_INSTANCE_PROFILE=true AWS_EC2_METADATA_SERVICE_ENDPOINT="http://127.0.0.1:$imds_port"
WALE_ENV=("${base[@]}")
probe head wal_005/000000010000000000000001.lzo > /dev/null 2>&1 || fail "the push with instance-profile credentials stored nothing"
try 1 "instance metadata service at http://127.0.0.1:1 " "$prefix" "$endpoint" AWS_INSTANCE_PROFILE=1 AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:1
log "--aws-instance-profile works through IMDSv2 and fails clearly without it"
log PASS
