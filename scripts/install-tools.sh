#!/usr/bin/env bash
# Installs, idempotently, every tool Tessera's embedded stack and tests need, under .tools/.
# Pinned versions; anything already present at the right version is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TOOLS=${TESSERA_TOOLS_DIR:-$ROOT/.tools}
mkdir -p "$TOOLS/bin"
# One installer at a time: `npm start` and `npm test` started together wait here rather than build
# the same tools twice into the same directory.
exec 9>"$TOOLS/.install.lock"
flock 9
. scripts/use-node.sh  # the pinned Node.js LTS first on PATH (installed into .tools/ if the machine's is older)

TEMPORAL_CLI_VERSION=v1.5.1
TEST_SERVER_VERSION=1.38.0  # keep in step with tools/test-server/pom.xml
FERRETDB_VERSION=v1.24.2    # keep in step with tools/ferretdb/go.mod
SCHEMATHESIS_VERSION=4.32.5 # the OpenAPI-driven API fuzzer (npm test's reduced pass, npm run fuzz)
HYPOTHESIS_VERSION=6.170.27 # Schemathesis' property-based engine, pinned with it

say() { printf 'tessera-setup: %s\n' "$*" >&2; }
need() {
  if ! command -v "$1" >/dev/null 2>&1; then
    say "missing prerequisite '$1': $2"
    exit 1
  fi
}
stamp_ok() { [ -x "$1" ] && [ -f "$1.version" ] && [ "$(cat "$1.version")" = "$2" ]; }
# Installs a Debian package where we may (root with apt-get); returns 1 where we may not.
apt_install() {
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 || return 1
  say "installing $1 from Debian${2:+ ($2)}"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$1" >/dev/null
}

# Node packages (chdb ships ClickHouse as a prebuilt library through npm).
if [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  need npm "install Node.js (https://nodejs.org) which brings npm"
  say "installing node packages"
  # `npm ci` refuses a lock file that lacks other platforms' optional packages, which registry
  # mirrors without them produce; `npm install --no-save` installs the same locked versions.
  npm ci --no-audit --no-fund --loglevel=error 2>/dev/null ||
    npm install --no-save --no-audit --no-fund --loglevel=error
fi

# Temporal CLI: the dev server with its Web UI.
if ! stamp_ok "$TOOLS/bin/temporal" "$TEMPORAL_CLI_VERSION"; then
  need go "install Go >= 1.25 (https://go.dev/dl) to build the Temporal CLI"
  say "building Temporal CLI $TEMPORAL_CLI_VERSION (first build takes a few minutes)"
  GOBIN="$TOOLS/bin" GOFLAGS=-buildvcs=false go install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION"
  echo "$TEMPORAL_CLI_VERSION" > "$TOOLS/bin/temporal.version"
fi

# PostgreSQL from Debian: FerretDB's storage. The embedded stack runs it as a child process.
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  apt_install postgresql || {
    say "missing prerequisite PostgreSQL: install it (Debian: sudo apt-get install -y postgresql) or set MONGODB_URI"
    exit 1
  }
fi

# FerretDB (MongoDB wire protocol on PostgreSQL), through the small wrapper in tools/ferretdb,
# built against FerretDB's module source with tools/ferretdb/patches applied.
FERRET_STAMP="$FERRETDB_VERSION-$(cat tools/ferretdb/main.go tools/ferretdb/go.sum tools/ferretdb/patches/*.patch | cksum | cut -d' ' -f1)"
if ! stamp_ok "$TOOLS/bin/ferretdb" "$FERRET_STAMP"; then
  need go "install Go >= 1.24 (https://go.dev/dl) to build FerretDB"
  need patch "install patch (Debian: apt-get install -y patch)"
  say "building FerretDB $FERRETDB_VERSION (patched)"
  BUILD="$TOOLS/build/ferretdb"
  rm -rf "$BUILD"
  mkdir -p "$BUILD"
  cp tools/ferretdb/main.go tools/ferretdb/go.mod tools/ferretdb/go.sum "$BUILD/"
  SRC=$(cd tools/ferretdb && GOFLAGS=-mod=mod go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -d "$SRC" ] || { say "could not download FerretDB $FERRETDB_VERSION's source"; exit 1; }
  cp -r "$SRC" "$BUILD/FerretDB"
  chmod -R u+w "$BUILD/FerretDB"
  for p in tools/ferretdb/patches/*.patch; do patch -s -p1 -d "$BUILD/FerretDB" < "$p"; done
  (cd "$BUILD" && go mod edit -replace "github.com/FerretDB/FerretDB=./FerretDB" &&
    GOFLAGS='-buildvcs=false -mod=readonly' go build -o "$TOOLS/bin/ferretdb" .)
  rm -rf "$BUILD"
  echo "$FERRET_STAMP" > "$TOOLS/bin/ferretdb.version"
fi

# Temporal's Java time-skipping test server, with the wrapper the TypeScript SDK starts.
TS_DIR="$TOOLS/test-server"
if ! stamp_ok "$TS_DIR/temporal-test-server" "$TEST_SERVER_VERSION"; then
  need java "install a Java runtime >= 11 (Debian: apt-get install -y openjdk-17-jre-headless)"
  need mvn "install Maven (Debian: apt-get install -y maven)"
  say "fetching Temporal test server $TEST_SERVER_VERSION"
  rm -rf "$TS_DIR/lib"
  mvn -q -B -Dstyle.color=never -f tools/test-server/pom.xml dependency:copy-dependencies \
    -DoutputDirectory="$TS_DIR/lib" -DincludeScope=runtime
  cat > "$TS_DIR/temporal-test-server" <<WRAP
#!/bin/sh
# Started by @temporalio/testing as: <this> <port> [args]
exec java -Xss512k -cp '$TS_DIR/lib/*' io.temporal.testserver.TestServer "\$@"
WRAP
  chmod +x "$TS_DIR/temporal-test-server"
  echo "$TEST_SERVER_VERSION" > "$TS_DIR/temporal-test-server.version"
fi

# redis-server from Debian.
if ! command -v redis-server >/dev/null 2>&1 && [ ! -x "$TOOLS/bin/redis-server" ]; then
  apt_install redis-server || {
    say "missing prerequisite 'redis-server': install it (Debian: sudo apt-get install -y redis-server) or set REDIS_URL"
    exit 1
  }
fi

# Chromium from Debian: the real browser the browser-path tests drive through playwright-core
# (which downloads no browser of its own).
if ! command -v chromium >/dev/null 2>&1; then
  apt_install chromium "for the browser tests" ||
    say "chromium is not installed (Debian: sudo apt-get install -y chromium): the browser tests will be skipped"
fi

# Schemathesis, from the Python package registry, into its own virtualenv. The newest Python 3.12+
# found is preferred: Hypothesis describes strategies with ast.parse, which Python 3.11 can fail
# deep in a recursion ("AST constructor recursion depth mismatch", a CPython bug fixed in 3.12).
pick_python() {
  local pyenv_root candidate
  pyenv_root=$(pyenv root 2>/dev/null || true)
  for candidate in python3.14 python3.13 python3.12 $( [ -n "$pyenv_root" ] && ls -d "$pyenv_root"/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV) python3; do
    if "$candidate" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 10) else 1)' >/dev/null 2>&1; then
      command -v "$candidate"
      return
    fi
  done
}
VENV="$TOOLS/venv"
if ! stamp_ok "$VENV/bin/schemathesis" "$SCHEMATHESIS_VERSION-$HYPOTHESIS_VERSION"; then
  PYTHON=$(pick_python)
  [ -n "$PYTHON" ] || { say "missing prerequisite Python >= 3.10 (Debian: apt-get install -y python3 python3-venv) for the API fuzzer"; exit 1; }
  say "installing Schemathesis $SCHEMATHESIS_VERSION into $VENV ($("$PYTHON" --version))"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" "hypothesis==$HYPOTHESIS_VERSION"
  echo "$SCHEMATHESIS_VERSION-$HYPOTHESIS_VERSION" > "$VENV/bin/schemathesis.version"
fi

# The console's assets (console/ built by Vite into dist/console/, served by the API at /console):
# rebuilt only when its sources or the locked build packages changed.
bash scripts/console-build.sh
