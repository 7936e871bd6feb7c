#!/usr/bin/env bash
# Builds the console (console/, Vite + Preact) into dist/console/ when its sources changed: a
# digest of console/ and of the locked versions of the packages that build it is compared with
# the stamp the last build left (dist/console/.build-stamp). Nothing changed: returns at once.
# Run by scripts/install-tools.sh (so by `npm start` and `npm test`); `--force` rebuilds anyway.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=dist/console
STAMP="$OUT/.build-stamp"
digest=$(
  {
    find console -type f -not -path '*/node_modules/*' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
    node -e '
      const lock = require("./package-lock.json").packages;
      for (const name of ["vite", "@preact/preset-vite", "preact", "uplot"]) console.log(name, lock["node_modules/" + name]?.version);
    '
  } | sha256sum | cut -d' ' -f1
)
if [ "${1:-}" != "--force" ] && [ -f "$STAMP" ] && [ -f "$OUT/index.html" ] && [ "$(cat "$STAMP")" = "$digest" ]; then
  exit 0
fi
printf 'tessera-setup: building the console into %s\n' "$OUT" >&2
npm run --silent console:build
echo "$digest" > "$STAMP"
