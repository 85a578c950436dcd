#!/usr/bin/env bash
# editors/nvim: Debian's Neovim, headless, with the plugin on the runtimepath, pastes a whole
# buffer, a range and a burn-after-read paste to a real fpasted, reads them back with
# :FpasteGet, and shows the server's problem+json reason for 404 and 413 and curl's for a dead
# server. The stored bytes are then checked with curl.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"
ops_init nvim
need_pkgs neovim curl

port=$(free_port)
start_fpasted "$port" FLASKPASTE_MAX_ANON=4096
export FPASTE_SERVER=http://127.0.0.1:$port
export PLUGIN_ROOT=$ops_root/editors/nvim RESULT_FILE=$ops_tmp/results
DEAD_PORT=$(free_port)
export DEAD_PORT
export XDG_CONFIG_HOME=$ops_tmp/xdg XDG_DATA_HOME=$ops_tmp/xdg XDG_STATE_HOME=$ops_tmp/xdg

timeout 60 nvim --headless -u NONE -i NONE -n \
    -c "luafile $(dirname "$0")/nvim/roundtrip.lua" </dev/null >"$ops_tmp/nvim.out" 2>&1 ||
    fail "headless nvim: $(cat "$ops_tmp/nvim.out")"
[[ -s $RESULT_FILE ]] || fail "nvim exited without results: $(cat "$ops_tmp/nvim.out")"
while read -r kind rest; do note "$kind: $rest"; done <"$RESULT_FILE"

whole=$(awk '$1=="whole"{print $2}' "$RESULT_FILE")
expected=$(printf 'first line\n\tindented: ünïcödé ✓\n\nafter a blank line\nlast\n' | sha256sum)
[[ $(curl -sf "$whole/raw" | sha256sum) == "$expected" ]] ||
    fail "server holds different bytes for $whole"
note "server stores the buffer byte for byte (UTF-8, tab, blank line, final newline)"

echo "PASS nvim"
