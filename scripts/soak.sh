#!/usr/bin/env bash
# Soak: `tern sync --watch --all` against a private Dovecot while another client appends,
# flags and expunges without pause for MINUTES (default 10); then checks that the cache
# equals the server and prints the tern process's RSS (sampled every 30 s: first, max,
# last). Not part of the normal test run (tests/soak.rs is #[ignore]).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

minutes=${1:-10}
export CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-1}
TERN_SOAK_MINUTES=$minutes nice -n 10 cargo test --test soak -- --ignored --nocapture
