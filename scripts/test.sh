#!/usr/bin/env bash
# The test command (`npm test`): installs what is missing, then type-checks, lints and runs every
# test against real services. Extra arguments go to vitest (e.g. `npm test -- test/domain`).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/use-node.sh  # the pinned Node.js LTS first on PATH (installed into .tools/ if the machine's is older)
bash scripts/install-tools.sh
echo "== node $(node --version)"
echo "== typecheck" && npx tsc -p tsconfig.json --noEmit && npx tsc -p console/tsconfig.json --noEmit
echo "== lint" && npx eslint --max-warnings 0 .
echo "== tests"
mkdir -p .data
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=.data/test-results.json "$@" || status=$?
# One closing line CI can read whatever the reporter prints.
node -e '
  const r = require("./.data/test-results.json");
  // A file that fails before its tests run (a hook, an import) fails no test: say so apart.
  // (numFailedTestSuites counts describe blocks as well as files, so count the files themselves.)
  const failedFiles = r.testResults.filter((file) => file.status === "failed").length;
  const files = failedFiles ? `, ${failedFiles} file(s) failed` : "";
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped${files}`);
' || true
exit "$status"
