#!/usr/bin/env bash
# Fuzzes the whole compile and the language server's message handling with
# cargo-fuzz (libFuzzer; needs a nightly toolchain and `cargo install cargo-fuzz`).
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]     default: 600 s each, both targets
# Seeds come from fixtures/ (written by an ignored test in tests/fuzz_smoke.rs); the growing corpus is fuzz/corpus/<target>
# (not committed); findings land in fuzz/artifacts/<target> and the run goes on
# (-fork=1 with -ignore_crashes: one worker process, as the machine allows); a
# hang over 10 s counts as a finding. A finding that is fixed
# goes into fuzz/regressions/<target>/, which `cargo test --test fuzz_smoke` replays.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(compile lsp)
QK_FUZZ_SEEDS="$PWD/fuzz/corpus" cargo test --quiet --test fuzz_smoke write_fuzz_seeds -- --ignored
for target in "${targets[@]}"; do
  cargo +nightly fuzz run -O "$target" "fuzz/corpus/$target" "fuzz/regressions/$target" -- \
    -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
    -max_total_time="$seconds" -timeout=10 -max_len=65536 -rss_limit_mb=4096 \
    -dict=fuzz/dict.txt -print_final_stats=1
done
