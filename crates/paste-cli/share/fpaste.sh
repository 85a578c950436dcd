# fpaste.sh: POSIX shell functions for the fpasted server at @@BASE_URL@@
#
# Install:  curl -fsS @@BASE_URL@@/client/fpaste.sh -o ~/.fpaste.sh
#           echo '. ~/.fpaste.sh' >> ~/.profile
#
#   cmd | fpaste_paste [-b] [-x SECONDS] [FILE]   paste stdin (or FILE), print its URL
#   fpaste_get ID|URL                             print a paste's content
#   fpaste_delete ID|URL [TOKEN]                  delete (token printed at paste time)
#   fpaste_info                                   server limits
#
# Environment: FPASTE_URL (server, default above), FPASTE_PASSWORD (paste password),
# FPASTE_CURL_OPTS (extra curl options, e.g. "--cert me.crt --key me.key").
# These functions need only curl. They do not encrypt and cannot solve a proof of work: when
# the server requires either, use the fpaste binary (curl -o fpaste @@BASE_URL@@/client).

FPASTE_URL="${FPASTE_URL:-@@BASE_URL@@}"

# Prints scheme://host[:port] of $FPASTE_URL.
_fpaste_origin() {
    printf '%s\n' "$FPASTE_URL" | sed 's#^\([A-Za-z][A-Za-z0-9+.-]*://[^/]*\).*#\1#'
}

# Prints the value of a top-level string member $1 of the JSON on stdin.
_fpaste_json() {
    sed -n 's/.*"'"$1"'"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' | head -n 1
}

# Prints the paste URL for an id or URL in $1 (fragment and /raw removed).
_fpaste_url() {
    case "$1" in
        *://*) _u="${1%%#*}"; _u="${_u%/}"; printf '%s\n' "${_u%/raw}" ;;
        *) printf '%s/%s\n' "${FPASTE_URL%/}" "${1%%#*}" ;;
    esac
}

# Runs curl with the common options; the response body goes to stdout, failures return 1 with
# the server's message on stderr.
_fpaste_curl() {
    _fpaste_out=$(curl -sS --fail-with-body ${FPASTE_CURL_OPTS:-} "$@"; echo "|$?")
    _fpaste_rc="${_fpaste_out##*|}"
    _fpaste_out="${_fpaste_out%|*}"
    if [ "$_fpaste_rc" != 0 ]; then
        _fpaste_msg=$(printf '%s' "$_fpaste_out" | _fpaste_json error)
        printf 'fpaste: %s\n' "${_fpaste_msg:-request failed (curl exit $_fpaste_rc)}" >&2
        return 1
    fi
    printf '%s' "$_fpaste_out"
}

fpaste_paste() {
    _fpaste_burn=""
    _fpaste_expiry=""
    OPTIND=1
    while getopts bx: _fpaste_opt; do
        case "$_fpaste_opt" in
            b) _fpaste_burn=1 ;;
            x) _fpaste_expiry="$OPTARG" ;;
            *) echo "usage: fpaste_paste [-b] [-x SECONDS] [FILE]" >&2; return 2 ;;
        esac
    done
    shift $((OPTIND - 1))
    # curl would report a missing file as a failed upload; say what it is.
    if [ -n "${1:-}" ] && [ "$1" != "-" ]; then
        [ -d "$1" ] && { printf 'fpaste: %s is a directory\n' "$1" >&2; return 1; }
        [ -r "$1" ] || { printf 'fpaste: %s: no such file or not readable\n' "$1" >&2; return 1; }
    fi
    _fpaste_src="@${1:--}"
    set -- -X POST -H 'Content-Type: application/octet-stream' --data-binary "$_fpaste_src"
    [ -n "$_fpaste_burn" ] && set -- "$@" -H 'X-Burn-After-Read: true'
    [ -n "$_fpaste_expiry" ] && set -- "$@" -H "X-Expiry: $_fpaste_expiry"
    [ -n "${FPASTE_PASSWORD:-}" ] && set -- "$@" -H "X-Paste-Password: $FPASTE_PASSWORD"
    _fpaste_body=$(_fpaste_curl "$@" "${FPASTE_URL%/}/") || return 1
    _fpaste_path=$(printf '%s' "$_fpaste_body" | _fpaste_json url)
    _fpaste_token=$(printf '%s' "$_fpaste_body" | _fpaste_json delete_token)
    [ -n "$_fpaste_path" ] || { echo "fpaste: unexpected response" >&2; return 1; }
    case "$_fpaste_path" in
        *://*) printf '%s\n' "$_fpaste_path" ;;
        *) printf '%s%s\n' "$(_fpaste_origin)" "$_fpaste_path" ;;
    esac
    [ -n "$_fpaste_token" ] && printf 'fpaste: delete token: %s\n' "$_fpaste_token" >&2
    return 0
}

fpaste_get() {
    [ $# -eq 1 ] || { echo "usage: fpaste_get ID|URL" >&2; return 2; }
    case "$1" in
        *'#'?*) echo "fpaste: this paste is encrypted; decrypt it with the fpaste binary" >&2
                return 1 ;;
    esac
    set -- "$(_fpaste_url "$1")/raw"
    if [ -n "${FPASTE_PASSWORD:-}" ]; then
        set -- "$@" -H "X-Paste-Password: $FPASTE_PASSWORD"
    fi
    # Streamed straight to stdout: content may be binary and large.
    curl -sS --fail ${FPASTE_CURL_OPTS:-} "$@"
}

fpaste_delete() {
    [ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: fpaste_delete ID|URL [TOKEN]" >&2; return 2; }
    _fpaste_target="$(_fpaste_url "$1")"
    if [ $# -eq 2 ]; then
        set -- -X DELETE -H "X-Delete-Token: $2" "$_fpaste_target"
    else
        set -- -X DELETE "$_fpaste_target"
    fi
    _fpaste_curl "$@" >/dev/null || return 1
    echo "fpaste: deleted" >&2
}

fpaste_info() {
    _fpaste_curl "${FPASTE_URL%/}/" && echo
}
