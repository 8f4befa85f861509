#!/usr/bin/env bash
# Acceptance (Azure Blob Storage, against Azurite): the shared backend
# scenario of backend_acceptance.sh through the daemon.
# CI: release build (Azure's acceptance scenario runs here only, like every store's).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/peers.sh"
source "$(dirname "$0")/backend_acceptance.sh"
start_azurite
backend_acceptance
log PASS
