#!/usr/bin/env bash
# Acceptance (S3): the scenario every backend passes (backend_acceptance.sh)
# against the SigV4-checking s3rver fork.
# CI: release build only (S3's own code runs under the sanitizers through its other tests).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/peers.sh"
source "$(dirname "$0")/backend_acceptance.sh"
start_s3_peer
backend_acceptance
log PASS
