#!/usr/bin/env bash
# The whole test suite, on a fresh machine:
#   0. the formatting check (`cargo fmt --check`);
#   1. the Rust tests (unit tests, every fixture under fixtures/, the CLI tests, and
#      tests/fuzz_smoke.rs: the fuzzing oracle on 1,000 fixed-seed mutations);
#   2. the pinned Node toolchain from tests/package-lock.json (`npm ci`, Node 22 included);
#   3. the npm packages (npm, pnpm), actionlint on the workflows and the action, the
#      pre-commit hook (Python tools pinned in tests/requirements.txt);
#   4. the editor test: Neovim's LSP client against `quickback-kv lsp` (installs neovim);
#   5. the real-tool tests (tsc, wrangler, Miniflare/workerd, Better Auth) on projects
#      built by the binary `cargo test` already compiled (debug: the real tools do not
#      need its speed, and a release build would compile every dependency again)
#      from the bundled example and every valid fixture.
set -euo pipefail
cd "$(dirname "$0")"
export CARGO_TERM_COLOR=never

echo "== cargo fmt --check (the tree is rustfmt-formatted; run \`cargo fmt\`)"
cargo fmt --check

echo "== cargo test"
cargo test --locked

echo "== npm ci (pinned toolchain: tests/package-lock.json)"
npm ci --prefix tests --no-audit --no-fund --loglevel=error

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

echo "== real tools"
# QK_BIN: tests/real/quickback-app.test.mjs and quickback-live-app.test.mjs run `build` on
# a Quickback-shaped worker (QK_HAND_WIRED=1 makes them use its hand-wired auth module).
QK_BIN="$bin" QK_PROJECTS=$(IFS=:; echo "${projects[*]}") \
  tests/node_modules/.bin/node --test --test-concurrency=2 'tests/real/**/*.test.mjs'
