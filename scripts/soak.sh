#!/usr/bin/env bash
# The chaos soak (make soak): brings up the stack (idempotent), builds when the sources are newer
# than dist/ (the soak runs the built service), then runs test/soak/ for SOAK_SECONDS (default 600),
# ending with its invariants table. Extra arguments go to Jest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

[[ -d node_modules ]] || npm ci --no-audit --no-fund
scripts/stack.sh up
main=dist/apps/waitroom/apps/waitroom/src/main.js
if [[ ! -f "$main" ]] || [[ -n "$(find apps libs \( -name '*.ts' -o -name '*.lua' \) -newer "$main" -print -quit)" ]]; then
  npm run build
fi
mkdir -p test-results
export SOAK_SECONDS="${SOAK_SECONDS:-600}"
npx jest -c jest.soak.config.js --runInBand --json --outputFile=test-results/soak.json "$@"
