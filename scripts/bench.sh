#!/usr/bin/env bash
# The side-by-side bench of issue 14: builds tern in release, seeds a private Dovecot and
# prints one markdown table of tern's figures beside the raw-socket floor and (with
# --peers) neomutt and aerc, all measured in the same run. See benches/side_by_side.rs.
#
#   scripts/bench.sh                          # 100k messages, 3 runs, plain IMAP and TLS
#   scripts/bench.sh --scale 1M               # a million (seeding takes a while, untimed)
#   scripts/bench.sh --scale 20k --runs 1 --plain
#   scripts/bench.sh --peers --out bench.md   # with neomutt/aerc when installed
#   scripts/bench.sh --install-peers          # apt-get install neomutt aerc first
set -euo pipefail

usage() {
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
    cat <<'EOF'
Options:
  --scale N          messages in INBOX: 100k (default), 1M, 20000, ...
  --runs N           runs per figure, the median shown with min–max (default 3)
  --plain | --tls | --both   which transports (default both)
  --peers            also open neomutt and aerc when installed ("not installed" otherwise)
  --install-peers    apt-get install -y neomutt aerc, then as --peers
  --out FILE         also write the table to FILE
EOF
}

cd "$(dirname "$0")/.."
args=()
install_peers=0
while [ $# -gt 0 ]; do
    case "$1" in
        --scale | --runs)
            [ $# -ge 2 ] || { echo "$1 needs a value" >&2; exit 2; }
            args+=("$1" "$2")
            shift
            ;;
        --out)
            [ $# -ge 2 ] || { echo "--out needs a file" >&2; exit 2; }
            # The bench runs in the repository root: make the path the caller's.
            case "$2" in
                /*) out="$2" ;;
                *) out="$OLDPWD/$2" ;;
            esac
            args+=(--out "$out")
            shift
            ;;
        --peers | --plain | --tls | --both) args+=("$1") ;;
        --install-peers)
            install_peers=1
            args+=(--peers)
            ;;
        -h | --help)
            usage
            exit 0
            ;;
        *)
            echo "unknown option: $1" >&2
            usage >&2
            exit 2
            ;;
    esac
    shift
done

for tool in tmux dovecot doveadm openssl; do
    if ! command -v "$tool" >/dev/null && [ ! -x "/usr/sbin/$tool" ]; then
        echo "bench.sh needs $tool (apt-get install tmux dovecot-imapd openssl)" >&2
        exit 1
    fi
done

if [ "$install_peers" = 1 ]; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get install -y neomutt aerc
fi

cargo build --release
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if ! git diff --quiet HEAD 2>/dev/null; then
    commit="$commit (with uncommitted changes)"
fi
TERN_BENCH_BIN="$PWD/target/release/tern" TERN_BENCH_COMMIT="$commit" \
    cargo bench --bench side_by_side -- "${args[@]}"
