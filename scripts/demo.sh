#!/usr/bin/env bash
# The README's first command: on a fresh Debian machine, installs Dovecot if missing,
# starts a private one (loopback only, temp dir) seeded with sample mail, writes a config
# for it and opens tern on it (in a terminal; otherwise it prints what the CLI shows).
# Pass --keep to leave the server up for your own tries.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

missing=()
if ! [ -x /usr/sbin/dovecot ] || ! [ -e /usr/lib/dovecot/modules/lib30_imap_zlib_plugin.so ]; then
    missing+=(dovecot-imapd)
fi
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v cc >/dev/null 2>&1 || missing+=(gcc libc6-dev)
if [ ${#missing[@]} -gt 0 ]; then
    echo "demo: installing ${missing[*]}" >&2
    sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update </dev/null
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y --no-install-recommends "${missing[@]}" </dev/null
fi

cargo build --release --bin tern --example demo
exec target/release/examples/demo "$@"
