#!/usr/bin/env bash
# `npm run fuzz`: the full Schemathesis pass (every phase, 50 examples per operation, three
# credentials) against a real API on real services; prints the case count and the failures.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/use-node.sh
bash scripts/install-tools.sh
TESSERA_FUZZ=full npx vitest run test/fuzz/schemathesis.test.ts "$@"
