#!/usr/bin/env bash
# The one test command (make test): brings up the stack (idempotent), builds, then runs
# lint, the type check, the unit tests, the integration tests against the real Redis and Kafka,
# and the browser tests of the pages.
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
# The pages in headless Chromium (Debian's chromium; screenshots in test-results/screenshots/).
npm run test:browser -- --json --outputFile=test-results/browser.json
# One plain closing line over all runs.
node -e '
  const runs = ["unit", "integration", "browser"].map((name) => require(`./test-results/${name}.json`));
  const sum = (key) => runs.reduce((total, run) => total + run[key], 0);
  console.log(`${sum("numPassedTests")} passed, ${sum("numFailedTests")} failed`);
'
