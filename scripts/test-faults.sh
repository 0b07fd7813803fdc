#!/usr/bin/env bash
# The fault drills (make test-faults): brings up the stack (idempotent), then runs every test under
# test/faults/ (jest.faults.config.js) against the real Redis and Kafka. Each drill starts, kills and
# restarts processes of its own (a Redis on a port of its own, the broker through scripts/stack.sh).
# Extra arguments go to Jest, e.g. scripts/test-faults.sh test/faults/redis-durability.test.ts
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

[[ -d node_modules ]] || npm ci --no-audit --no-fund
scripts/stack.sh up
# Drills that run the built service (test/support/service-process.ts) need dist/ as fresh as the sources;
# `make test` has just built it in CI, so this builds only when something changed since.
main=dist/apps/waitroom/apps/waitroom/src/main.js
if grep -rqs "support/service-process" test/faults \
  && { [[ ! -f "$main" ]] || [[ -n "$(find apps libs \( -name '*.ts' -o -name '*.lua' \) -newer "$main" -print -quit)" ]]; }; then
  npm run build
fi
mkdir -p test-results
rm -f test-results/faults.json
status=0
npx jest -c jest.faults.config.js --runInBand --json --outputFile=test-results/faults.json "$@" || status=$?
# One plain closing line.
node -e '
  let run = { numPassedTests: 0, numFailedTests: 0 };
  try { run = require("./test-results/faults.json"); } catch { console.error("[faults] jest wrote no results"); }
  console.log(`${run.numPassedTests} passed, ${run.numFailedTests} failed`);
'
exit "$status"
