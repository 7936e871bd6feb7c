#!/usr/bin/env bash
# The start command (`npm start`): installs what is missing, then runs the embedded stack in one
# process tree (Temporal dev server, FerretDB, Redis, offline model as children; chDB, workers and
# API in-process). Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/use-node.sh  # the pinned Node.js LTS first on PATH (installed into .tools/ if the machine's is older)
bash scripts/install-tools.sh
# A larger young generation (64 MB semi-spaces, V8's default is 16): the ETL's batches outlive
# several scavenges at the default size and were promoted, then collected again by full GCs
# (bench:etl: the Node process's CPU per event -10%; docs/design-notes.md, "ETL reads").
# Plain JavaScript compiled from src/ (rebuilt when src/ changed): no TypeScript loader at start.
bash scripts/compile-start.sh
exec node --max-semi-space-size=64 dist/start/src/dev/main.js "$@"
