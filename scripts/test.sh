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
mkdir -p test-results
npm run test:unit -- --json --outputFile=test-results/unit.json
npm run test:integration -- --json --outputFile=test-results/integration.json
# One plain closing line over both runs.
node -e '
  const runs = ["unit", "integration"].map((name) => require(`./test-results/${name}.json`));
  const sum = (key) => runs.reduce((total, run) => total + run[key], 0);
  console.log(`${sum("numPassedTests")} passed, ${sum("numFailedTests")} failed`);
'
