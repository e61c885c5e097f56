#!/usr/bin/env bash
# The whole test suite, on a fresh machine:
#   1. the Rust tests (unit tests, every fixture under fixtures/, the CLI tests);
#   2. the pinned Node toolchain from tests/package-lock.json (`npm ci`, Node 22 included);
#   3. the real-tool tests (tsc, wrangler, Miniflare/workerd, Better Auth) on projects
#      built by the release binary from the bundled example and every valid fixture.
set -euo pipefail
cd "$(dirname "$0")"
export CARGO_TERM_COLOR=never

echo "== cargo test"
cargo test --locked

echo "== npm ci (pinned toolchain: tests/package-lock.json)"
npm ci --prefix tests --no-audit --no-fund --loglevel=error

echo "== quickback-kv build on the example and the valid fixtures"
cargo build --locked --release --quiet
bin="$PWD/target/release/quickback-kv"
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
  # Only projects that use KV have outputs for the real tools to check.
  [ -f "$dest/src/env.d.ts" ] || continue
  projects+=("$dest")
done
echo "${#projects[@]} projects for the real tools"

echo "== real tools"
QK_PROJECTS=$(IFS=:; echo "${projects[*]}") tests/node_modules/.bin/node --test --test-concurrency=2 'tests/real/**/*.test.mjs'
