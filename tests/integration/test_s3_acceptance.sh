#!/usr/bin/env bash
# Acceptance (S3): the scenario every backend passes (backend_acceptance.sh)
# against the SigV4-checking s3rver fork.
# CI: release build (S3's acceptance scenario runs here only, like every store's).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/peers.sh"
source "$(dirname "$0")/backend_acceptance.sh"
start_s3_peer
backend_acceptance
log PASS
