#!/usr/bin/env bash
# Regenerates screenshots/*.png from the real binary: the demo's Dovecot and mail, tern in
# tmux, `capture-pane -e` (colours as ANSI), aha (ANSI -> HTML), headless Chromium (-> PNG).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD

need=()
command -v aha >/dev/null 2>&1 || need+=(aha)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v tmux >/dev/null 2>&1 || need+=(tmux)
fc-list 2>/dev/null | grep -qi "DejaVu Sans Mono" || need+=(fonts-dejavu-core)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)
fc-list 2>/dev/null | grep -qi "Noto Color Emoji" || need+=(fonts-noto-color-emoji)
if [ ${#need[@]} -gt 0 ]; then
    sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update </dev/null
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y --no-install-recommends "${need[@]}" </dev/null
fi

cargo build --release --bin tern --example demo
work=$(mktemp -d)
session="tern-shots-$$"
cleanup() {
    tmux kill-session -t "$session" 2>/dev/null || true
    tmux kill-session -t "$session-demo" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# The demo keeps its Dovecot up until it reads a line; a fifo holds its stdin open.
mkfifo "$work/hold"
tmux new-session -d -s "$session-demo" \
    "TERN_BIN=$root/target/release/tern $root/target/release/examples/demo --keep < $work/hold > $work/demo.out 2>&1"
exec 3>"$work/hold"
for _ in $(seq 1 300); do
    grep -q -- "--cache-dir" "$work/demo.out" 2>/dev/null && break
    sleep 0.2
done
config=$(grep -o -- "--config [^ ]*" "$work/demo.out" | head -1 | cut -d' ' -f2)
cache=$(grep -o -- "--cache-dir [^ ]*" "$work/demo.out" | head -1 | cut -d' ' -f2)

tmux new-session -d -s "$session" -x 120 -y 36 \
    "$root/target/release/tern --config $config --cache-dir $cache"
sleep 3

shot() {
    local name=$1
    sleep 1.5
    tmux capture-pane -e -p -t "$session" > "$work/$name.ansi"
    {
        echo '<html><head><meta charset="utf-8"><style>'
        echo 'body{background:#1c1c1c;color:#d0d0d0;margin:0;padding:12px}'
        echo 'pre{font-family:"DejaVu Sans Mono","Noto Sans Mono CJK SC","Noto Color Emoji",monospace;font-size:14px;line-height:1.2;margin:0}'
        echo '</style></head><body><pre>'
        aha --no-header < "$work/$name.ansi"
        echo '</pre></body></html>'
    } > "$work/$name.html"
    chromium --headless --no-sandbox --disable-gpu --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$work/chrome-$name" --hide-scrollbars \
        --window-size=1110,700 --screenshot="$root/screenshots/$name.png" \
        "file://$work/$name.html" >/dev/null 2>&1
    echo "screenshots/$name.png"
}

mkdir -p screenshots
# Flat list, threaded list, split reader, full-screen reader, help.
tmux send-keys -t "$session" Z
shot list
tmux send-keys -t "$session" Z
shot threads
tmux send-keys -t "$session" j j Enter
shot reader
tmux send-keys -t "$session" f
shot reader-full
tmux send-keys -t "$session" f q "?"
shot help
# The move picker over the list (Escape leaves without moving anything). q closes the
# help: an Escape sent right before "m" would reach tern as Alt-m.
tmux send-keys -t "$session" q
sleep 0.5
tmux send-keys -t "$session" m l i
shot picker
tmux send-keys -t "$session" Escape Q
echo >&3
