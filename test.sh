#!/usr/bin/env bash
# The whole test suite, on a fresh machine:
#   0. the formatting check (`cargo fmt --check`);
#   1. the pinned Node toolchain from tests/package-lock.json (`npm ci`, Node 22 included),
#      first because a Rust test reads the pinned wrangler's config-schema.json;
#   2. the Rust tests (unit tests, every fixture under fixtures/, the CLI tests,
#      tests/fuzz_smoke.rs: the fuzzing oracle on 1,000 fixed-seed mutations, and
#      tests/robustness2.rs's fault injection, which installs strace);
#   3. the npm packages (npm, pnpm), actionlint on the workflows and the action, the
#      pre-commit hook (Python tools pinned in tests/requirements.txt);
#   4. the editor tests: Neovim's LSP client against `quickback-kv lsp` (installs neovim),
#      then the VS Code extension in a real VS Code (code-server; installs chromium);
#   5. the real-tool tests (tsc, wrangler, Miniflare/workerd, Better Auth) on projects
#      built by the binary `cargo test` already compiled (debug: the real tools do not
#      need its speed, and a release build would compile every dependency again)
#      from the bundled example and every valid fixture.
set -euo pipefail
cd "$(dirname "$0")"
export CARGO_TERM_COLOR=never

echo "== cargo fmt --check (the tree is rustfmt-formatted; run \`cargo fmt\`)"
cargo fmt --check

# tests/robustness2.rs injects faults with strace (races, kills, signals between
# renames); it is installed here when missing, and under CI=true the tests fail
# without it, never skip.
if ! command -v strace >/dev/null 2>&1; then
  echo "strace not found: installing Debian's strace"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq strace >/dev/null; } \
    || echo "strace could not be installed" >&2
fi

# The Rust tests read the pinned wrangler's config-schema.json (wrangler::kinds),
# so the Node toolchain is installed before them.
echo "== npm ci (pinned toolchain: tests/package-lock.json)"
npm ci --prefix tests --no-audit --no-fund --loglevel=error

echo "== cargo test"
cargo test --locked

echo "== quickback-kv build on the example and the valid fixtures"
cargo build --locked --quiet
bin="$PWD/target/debug/quickback-kv"
work="$PWD/tests/.tmp/projects"
rm -rf "$work" && mkdir -p "$work"
projects=()
for input in example fixtures/valid-*/input; do
  name=$(basename "$(dirname "$input")")
  [ "$input" = example ] && name=example
  dest="$work/$name"
  cp -r "$input" "$dest"
  envfile="$(dirname "$input")/env"
  (
    set -a
    # shellcheck disable=SC1090
    [ "$input" != example ] && [ -f "$envfile" ] && . "$envfile"
    set +a
    "$bin" build --root "$dest" --quiet
  )
  # Only projects that use KV have outputs for the real tools to check (an env.d.ts
  # of the project's own, with no wrangler file, is not one).
  [ -f "$dest/src/env.d.ts" ] || continue
  compgen -G "$dest/wrangler.*" >/dev/null || continue
  projects+=("$dest")
done
echo "${#projects[@]} projects for the real tools"

# ---- npm packages, GitHub workflow and action, pre-commit hook ------------------------
# tests/npm/: the packages assembled from the debug binary, packed, installed with npm and
# pnpm; actionlint + shellcheck on .github/workflows and action.yml; pre-commit running
# the hook. The Python tools come from tests/requirements.txt (wheels only) in a venv
# kept in tests/.tmp/venv while the requirements are unchanged. A failure to create it
# fails the run (the tests are never skipped).
echo "== npm packages, workflows, pre-commit hook"
venv="$PWD/tests/.tmp/venv"
if ! cmp -s tests/requirements.txt "$venv/requirements.txt"; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --only-binary :all: -r tests/requirements.txt
  cp tests/requirements.txt "$venv/requirements.txt"
fi
QK_BIN="$bin" QK_VENV="$venv" tests/node_modules/.bin/node --test --test-concurrency=1 'tests/npm/*.test.mjs'
# ---- end of the npm tests -------------------------------------------------------------

# ---- editor test: a real LSP client (Neovim) against `quickback-kv lsp` ----------------
# Debian's neovim runs headless with tests/editor/nvim.lua; tests/editor/neovim.test.mjs
# checks what it received. nvim is installed here when missing; in CI (CI=true) a
# missing nvim or a failed install fails the run, it is never skipped.
echo "== editor: Neovim's LSP client"
if ! command -v nvim >/dev/null 2>&1; then
  echo "nvim not found: installing Debian's neovim"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq neovim >/dev/null; } \
    || echo "neovim could not be installed" >&2
fi
if command -v nvim >/dev/null 2>&1; then
  QK_BIN="$bin" tests/node_modules/.bin/node --test tests/editor/neovim.test.mjs
elif [ "${CI:-}" = true ]; then
  echo "FAILED: no nvim, so the editor test cannot run (in CI it is never skipped)" >&2
  exit 1
else
  echo "SKIPPED the editor test: no nvim (allowed outside CI only)" >&2
fi
# ---- end of the editor test -----------------------------------------------------------

# ---- editor test: the VS Code extension (editors/vscode) in a real VS Code --------------
# code-server (VS Code's server and workbench) on Node 24, installed by
# tests/editor/vscode/install.sh into tests/.tmp/vscode-<key> (the key: its lockfiles, so
# code-server's and Node's versions; a warm run reuses it), driven through Debian's
# Chromium by tests/editor/vscode.test.mjs. chromium and libkrb5-dev (code-server's
# native build) are installed here when missing; in CI a missing tool fails the run.
echo "== editor: the VS Code extension in code-server"
vscode_start=$SECONDS
if [ ! -x /usr/lib/chromium/chromium ] || ! dpkg -s libkrb5-dev >/dev/null 2>&1; then
  echo "chromium or libkrb5-dev not found: installing Debian's"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium libkrb5-dev >/dev/null; } \
    || echo "chromium or libkrb5-dev could not be installed" >&2
fi
if [ -x /usr/lib/chromium/chromium ] && vscode_dir=$(tests/editor/vscode/install.sh); then
  # The extension: npm ci only when its lockfile changed; packaged every run (seconds).
  ext=editors/vscode
  if ! cmp -s "$ext/package-lock.json" "$ext/node_modules/.installed-lock.json"; then
    PATH="$PWD/tests/node_modules/.bin:$PATH" npm ci --prefix "$ext" --no-audit --no-fund --loglevel=error
    cp "$ext/package-lock.json" "$ext/node_modules/.installed-lock.json"
  fi
  PATH="$PWD/tests/node_modules/.bin:$PATH" npm run --prefix "$ext" --silent package >/dev/null
  QK_BIN="$bin" QK_VSCODE="$vscode_dir" QK_VSIX="$PWD/$ext/dist/quickback-kv.vsix" \
    tests/node_modules/.bin/node --test tests/editor/vscode.test.mjs
  echo "VS Code editor test: $((SECONDS - vscode_start)) s (install included when it ran)"
elif [ "${CI:-}" = true ]; then
  echo "FAILED: no chromium or no code-server, so the VS Code test cannot run (in CI it is never skipped)" >&2
  exit 1
else
  echo "SKIPPED the VS Code test: no chromium or code-server could not be installed (allowed outside CI only)" >&2
fi
# ---- end of the VS Code test ----------------------------------------------------------

echo "== real tools"
# QK_BIN: tests/real/quickback-app.test.mjs and quickback-live-app.test.mjs run `build` on
# a Quickback-shaped worker (QK_HAND_WIRED=1 makes them use its hand-wired auth module).
QK_BIN="$bin" QK_PROJECTS=$(IFS=:; echo "${projects[*]}") \
  tests/node_modules/.bin/node --test --test-concurrency=2 'tests/real/**/*.test.mjs'
