#!/usr/bin/env bash
# `npm test`: unit + integration tests of all workspaces, then the browser tests.
#
#   npm test [-- <extra vitest args>]      # extra args go to the first vitest only
#
# Backend: by default the tests use PGlite (embedded PostgreSQL) and an
# in-process Redis substitute. Set TEST_DATABASE_URL and TEST_REDIS_URL to test
# against real services instead (see scripts/services.sh); they are simply passed
# through to the test harness, which reads them.
set -uo pipefail # no -e: the e2e pass must run even if the first pass fails

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

bash scripts/ensure-system-deps.sh chromium ffmpeg || exit 1

# Hide any password in a URL before printing it (user:secret@ -> user:***@).
redact() { sed -E 's#(://[^:/@]*):[^@/]*@#\1:***@#' <<<"$1"; }

db=${TEST_DATABASE_URL:-}
redis=${TEST_REDIS_URL:-}
if [[ -n $db ]]; then backend="PostgreSQL at $(redact "$db")"; else backend="PGlite (embedded)"; fi
if [[ -n $redis ]]; then backend+=" + Redis at $(redact "$redis")"; fi
echo "==> Testing backend: $backend"

# --no-install: use the project's vitest, never fetch one from the registry.
npx --no-install vitest run "$@"
unit_rc=$?

npx --no-install vitest run --config e2e/vitest.config.ts
e2e_rc=$?

if ((unit_rc != 0 || e2e_rc != 0)); then
  echo "==> Tests FAILED (unit/integration exit $unit_rc, e2e exit $e2e_rc)" >&2
  exit 1
fi
