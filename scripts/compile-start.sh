#!/usr/bin/env bash
# Compiles src/ to JavaScript in dist/start/ for `npm start` (Node.js then loads plain JavaScript:
# tsx's loader costs ≈ 0.45 s of every start, docs/scaling.md "Start-up"). esbuild transpiles each
# file on its own (no bundle, no type check: `npm test` type-checks), in ≈ 0.2 s; it runs again
# only when something under src/ (a deleted file changes its folder) or this script is newer than
# the last build.
set -euo pipefail
cd "$(dirname "$0")/.."
out=dist/start
stamp="$out/.built"
if [ -f "$stamp" ] && [ -z "$(find src scripts/compile-start.sh -newer "$stamp" -print -quit)" ]; then exit 0; fi
rm -rf "$out"
mapfile -t sources < <(find src -name '*.ts' -type f)
node_modules/.bin/esbuild "${sources[@]}" --outbase=src --outdir="$out/src" --format=cjs --platform=node --target=node24 --log-level=warning
touch "$stamp"
