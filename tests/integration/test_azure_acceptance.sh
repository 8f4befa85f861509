#!/usr/bin/env bash
# Acceptance (Azure Blob Storage, against Azurite): the shared backend
# scenario of backend_acceptance.sh through the daemon.
# CI: release build only (Azure's own code runs under the sanitizers through its other tests).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/peers.sh"
source "$(dirname "$0")/backend_acceptance.sh"
start_azurite
backend_acceptance
log PASS
