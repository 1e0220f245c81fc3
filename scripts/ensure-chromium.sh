#!/usr/bin/env bash
# Browser tests drive the system Chromium (via playwright-core), which is not an
# npm dependency; install it if missing so `npm run test:e2e` works on a fresh machine.
set -euo pipefail
exec bash "$(dirname "${BASH_SOURCE[0]}")/ensure-system-deps.sh" chromium
