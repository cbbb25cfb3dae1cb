#!/usr/bin/env bash
# Fuzzes every target in fuzz/ for MINUTES each (default 5), one after another, on one
# core, niced. MINUTES=0 only replays the seeds and the regressions (a quick check that
# every crasher found so far stays fixed). TERN_FUZZ_TARGETS="mime thread" picks targets.
#
# cargo-fuzz wants nightly features; RUSTC_BOOTSTRAP=1 lets the stable toolchain use them.
# No sanitizer: tern forbids unsafe code, and what we hunt is panics, hangs and blown
# invariants (debug assertions and overflow checks are on).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

minutes=${1:-5}
targets=(imap_session mime header_text mutf7 config keymap_theme thread)
if [ -n "${TERN_FUZZ_TARGETS:-}" ]; then
    read -r -a targets <<<"$TERN_FUZZ_TARGETS"
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    # 0.13.2 builds with rustc 1.95.
    cargo install cargo-fuzz --version 0.13.2 --locked
fi
export RUSTC_BOOTSTRAP=1
export CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-1}
# The loader and threading targets write scratch files: in a directory of this run only.
scratch=$(mktemp -d "${TMPDIR:-/tmp}/tern-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
export TMPDIR=$scratch

# Whole messages and server conversations need room; loaders and names do not.
max_len() {
    case "$1" in
        imap_session | mime) echo 65536 ;;
        thread) echo 512 ;;
        *) echo 8192 ;;
    esac
}

status=0
for target in "${targets[@]}"; do
    corpus=fuzz/corpus/$target
    mkdir -p "$corpus" "fuzz/seeds/$target" "fuzz/regressions/$target"
    args=(-timeout=20 -rss_limit_mb=2048 "-max_len=$(max_len "$target")")
    if [ "$minutes" = 0 ]; then
        args+=(-runs=0)
        dirs=("fuzz/seeds/$target" "fuzz/regressions/$target")
    else
        args+=("-max_total_time=$((minutes * 60))" -print_final_stats=1)
        dirs=("$corpus" "fuzz/seeds/$target" "fuzz/regressions/$target")
    fi
    echo "== $target (${minutes} min)"
    if ! nice -n 15 cargo fuzz run --sanitizer none "$target" "${dirs[@]}" -- "${args[@]}"; then
        echo "== $target: FAILED (crasher in fuzz/artifacts/$target)" >&2
        status=1
    fi
done
exit "$status"
