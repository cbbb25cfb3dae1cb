#!/usr/bin/env bash
# The project's test command: installs what the tests need if missing, then runs
# rustfmt, clippy and every test target. Extra arguments go to `cargo test`.
#
# The tests start their own Dovecot instances (own config via -c, own base_dir, free
# loopback ports), so a system Dovecot service, running or not, never takes part.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

missing=()
# Debian keeps dovecot in /usr/sbin, which is not on every user's PATH.
if ! [ -x /usr/sbin/dovecot ] && ! command -v dovecot >/dev/null 2>&1; then
    missing+=(dovecot-imapd)
elif ! [ -e /usr/lib/dovecot/imap ] || ! [ -e /usr/lib/dovecot/modules/lib30_imap_zlib_plugin.so ]; then
    missing+=(dovecot-imapd)
fi
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v tmux >/dev/null 2>&1 || missing+=(tmux)
command -v faketime >/dev/null 2>&1 || missing+=(faketime)
command -v cc >/dev/null 2>&1 || missing+=(gcc libc6-dev)

if [ ${#missing[@]} -gt 0 ]; then
    echo "scripts/test.sh: installing ${missing[*]}" >&2
    sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update </dev/null
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y --no-install-recommends "${missing[@]}" </dev/null
    # The package may have started the system service; the tests never use it.
    if [[ " ${missing[*]} " == *" dovecot-imapd "* ]]; then
        if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
            "${sudo[@]}" systemctl disable --now dovecot.service </dev/null >/dev/null 2>&1 || true
        elif command -v service >/dev/null 2>&1; then
            "${sudo[@]}" service dovecot stop </dev/null >/dev/null 2>&1 || true
        fi
    fi
fi

if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
    rustup component add rustfmt clippy
fi

cargo fmt --check
cargo clippy --all-targets -- -D warnings
# The last target cargo runs (an example) has no tests, so its "0 passed" would close
# the log; end with the whole suite's count instead.
older_suites=(sync_engine journal journal_safety undo offline_proxy cli_sync engine_actor folder_ops folder_engine parts two_instances)
log=$(mktemp "${TMPDIR:-/tmp}/tern-test.XXXXXX")
trap 'rm -f "$log"' EXIT
set +e
cargo test --all-targets "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
# The sync and triage suites once more against a Dovecot shaped like an older server
# (INBOX. prefix, "." separator, no SPECIAL-USE, MOVE, CONDSTORE, QRESYNC or LITERAL+).
echo
echo "== sync and triage on an older server (TERN_TEST_SERVER=older)"
TERN_TEST_SERVER=older cargo test "${older_suites[@]/#/--test=}" "$@" 2>&1 | tee -a "$log"
older_status=${PIPESTATUS[0]}
[ "$status" -ne 0 ] || status=$older_status
set -e
summary=$(grep -E '^test result: ' "$log" \
    | sed -E 's/.* ([0-9]+) passed; ([0-9]+) failed.*/\1 \2/' \
    | awk '{p += $1; f += $2} END {printf "%d passed, %d failed", p, f}')
echo
echo "$summary"
exit "$status"
