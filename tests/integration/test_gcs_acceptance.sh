#!/usr/bin/env bash
# Acceptance (Google Cloud Storage): the scenario every backend passes
# (backend_acceptance.sh) against the Firebase storage emulator, with
# service-account credentials through fake_gcs_token_endpoint.py.
# CI: release build only (GCS's own code runs under the sanitizers through its other tests).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/peers.sh"
source "$(dirname "$0")/backend_acceptance.sh"
start_gcs_emulator
backend_acceptance
log "$(gcs_tokens_issued) access tokens were issued"
log PASS
