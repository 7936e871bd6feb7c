# Sourced by the setup, start and test scripts: makes the pinned Node.js LTS the `node` on PATH.
# Where the machine's own `node` is older than the LTS major, the pinned build is unpacked from the
# npm registry's `node-linux-<arch>` package into .tools/node-<version>/ (once; later runs reuse it)
# and its bin/ goes first on PATH, so `npm`, `npx` and every child process run on it.
# Keep NODE_LTS_VERSION (the Active LTS line: 26 since 2026-10-28) in step with .nvmrc and the
# Dockerfile's base image; package.json's engines names the oldest supported LTS (24).
NODE_LTS_VERSION=26.12.1
NODE_LTS_MAJOR=${NODE_LTS_VERSION%%.*}

tessera_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

tessera_use_node() {
  local tools=${TESSERA_TOOLS_DIR:-$PWD/.tools}
  local dir="$tools/node-$NODE_LTS_VERSION"
  if [ -x "$dir/bin/node" ]; then
    PATH="$dir/bin:$PATH"
  elif [ "$(tessera_node_major)" -lt "$NODE_LTS_MAJOR" ]; then
    local arch
    case "$(uname -m)" in
      x86_64) arch=x64 ;;
      aarch64 | arm64) arch=arm64 ;;
      *) printf 'tessera-setup: Node.js %s or newer is needed (this machine has %s)\n' "$NODE_LTS_MAJOR" "$(node --version 2>/dev/null || echo none)" >&2; return 1 ;;
    esac
    command -v npm >/dev/null 2>&1 || { printf 'tessera-setup: npm is needed to fetch Node.js %s\n' "$NODE_LTS_VERSION" >&2; return 1; }
    printf 'tessera-setup: installing Node.js %s into %s (this machine has %s)\n' "$NODE_LTS_VERSION" "$dir" "$(node --version 2>/dev/null || echo none)" >&2
    local tmp
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "node-linux-$arch@$NODE_LTS_VERSION" >/dev/null && tar xzf ./*.tgz) || { rm -rf "$tmp"; return 1; }
    mkdir -p "$tools"
    rm -rf "$dir"
    mv "$tmp/package" "$dir"
    rm -rf "$tmp"
    "$dir/bin/node" --version >/dev/null || return 1
    PATH="$dir/bin:$PATH"
  fi
  export PATH
}

tessera_use_node
