#!/usr/bin/env bash
# The one test command (make test): brings up the stack (idempotent), builds, then runs
# lint, the type check, the unit tests and the integration tests against the real Redis and Kafka.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

[[ -d node_modules ]] || npm ci --no-audit --no-fund
scripts/stack.sh up
npm run build          # the process tests start the built service, as production does
npm run lint
npm run typecheck
npm run test:unit
npm run test:integration
