#!/usr/bin/env bash
# The start command (`npm start`): installs what is missing, then runs the embedded stack in one
# process tree (Temporal dev server, FerretDB, Redis, offline model as children; chDB, workers and
# API in-process). Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-tools.sh
exec node --import tsx src/dev/main.ts "$@"
