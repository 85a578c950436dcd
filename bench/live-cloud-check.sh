#!/usr/bin/env bash
# Opt-in live check of declutter against the real OneDrive and Google Drive (docs/LIVE-CLOUD-CHECK.md).
# For each account given, in a throwaway folder it creates: scan -> verify -> plan -> apply ->
# restore, checking each step through the provider's own API, then deletes the folder.
#
#   DECLUTTER_LIVE_ONEDRIVE_PERSONAL_TOKEN_FILE  token file of a OneDrive Personal test account
#   DECLUTTER_LIVE_ONEDRIVE_WORK_TOKEN_FILE      token file of a OneDrive work/school test account
#   DECLUTTER_LIVE_GDRIVE_TOKEN_FILE             token file of a Google test account
#   DECLUTTER=path                               binary to check (default: build it)
#
# Token files are the CLI's JSON form (access_token, refresh_token, token_url, client_id,
# client_secret) with write scopes (Files.ReadWrite offline_access / drive); they are updated
# in place when tokens rotate. Use dedicated test accounts: the check refuses to apply a plan
# that would touch anything outside its own folder.
#
# Exit: 0 every given account passed; 1 a check failed; 77 NOT RUN (no account given). A run
# without accounts never reports success.
set -euo pipefail

ROOT_DIR=$(cd "$(dirname "$0")/.." && pwd)
log() { echo "live-cloud-check: $*" >&2; }
fail() { log "FAILED: $*"; exit 1; }

declare -a ACCOUNTS=()
[ -n "${DECLUTTER_LIVE_ONEDRIVE_PERSONAL_TOKEN_FILE:-}" ] && ACCOUNTS+=("onedrive:$DECLUTTER_LIVE_ONEDRIVE_PERSONAL_TOKEN_FILE")
[ -n "${DECLUTTER_LIVE_ONEDRIVE_WORK_TOKEN_FILE:-}" ] && ACCOUNTS+=("onedrive:$DECLUTTER_LIVE_ONEDRIVE_WORK_TOKEN_FILE")
[ -n "${DECLUTTER_LIVE_GDRIVE_TOKEN_FILE:-}" ] && ACCOUNTS+=("gdrive:$DECLUTTER_LIVE_GDRIVE_TOKEN_FILE")
if [ ${#ACCOUNTS[@]} -eq 0 ]; then
  echo "live cloud check: NOT RUN (set DECLUTTER_LIVE_ONEDRIVE_PERSONAL_TOKEN_FILE, DECLUTTER_LIVE_ONEDRIVE_WORK_TOKEN_FILE and/or DECLUTTER_LIVE_GDRIVE_TOKEN_FILE)"
  exit 77
fi
for tool in curl jq; do
  command -v "$tool" >/dev/null || fail "$tool is required"
done

GRAPH=${DECLUTTER_GRAPH_URL:-https://graph.microsoft.com/v1.0}
DRIVE=${DECLUTTER_DRIVE_URL:-https://www.googleapis.com/drive/v3}
DRIVE_UPLOAD=${DECLUTTER_DRIVE_UPLOAD_URL:-https://www.googleapis.com/upload/drive/v3}
if [ -z "${DECLUTTER:-}" ]; then
  export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/fpaste-declutter/target}
  (cd "$ROOT_DIR" && cargo build --release --locked -q -p declutter-server)
  DECLUTTER="$CARGO_TARGET_DIR/release/declutter"
fi
WORK=$(mktemp -d)
CLEANUP=()
cleanup() {
  local c
  for c in "${CLEANUP[@]}"; do eval "$c" || log "cleanup step failed: $c"; done
  rm -rf "$WORK"
}
trap cleanup EXIT

api() { # api TOKEN_FILE CURL_ARGS... (bearer from the token file, which declutter keeps fresh)
  local file=$1; shift
  curl -sS --fail-with-body -H "Authorization: Bearer $(jq -r .access_token "$file")" "$@"
}

dc() { # dc PROVIDER TOKEN_FILE ARGS...
  local provider=$1 file=$2; shift 2
  if [ "$provider" = onedrive ]; then
    DECLUTTER_ONEDRIVE_TOKEN_FILE=$file DECLUTTER_GRAPH_URL=$GRAPH "$DECLUTTER" "$@"
  else
    DECLUTTER_GDRIVE_TOKEN_FILE=$file DECLUTTER_DRIVE_URL=$DRIVE "$DECLUTTER" "$@"
  fi
}

make_fixture() { # PROVIDER FILE NAME: sets FOLDER, KEEP, COPY (no subshell: CLEANUP must stick)
  local provider=$1 file=$2 name=$3 folder keep copy id n
  printf 'declutter live check %s\n' "$name" > "$WORK/content.txt"
  if [ "$provider" = onedrive ]; then
    folder=$(api "$file" -X POST "$GRAPH/me/drive/root/children" -H 'Content-Type: application/json' \
      -d "{\"name\":\"$name\",\"folder\":{},\"@microsoft.graph.conflictBehavior\":\"fail\"}" | jq -r .id)
    CLEANUP+=("api '$file' -X DELETE '$GRAPH/me/drive/items/$folder' >/dev/null")
    keep=$(api "$file" -X PUT --data-binary @"$WORK/content.txt" "$GRAPH/me/drive/items/$folder:/a.txt:/content" | jq -r .id)
    copy=$(api "$file" -X PUT --data-binary @"$WORK/content.txt" "$GRAPH/me/drive/items/$folder:/a%20(1).txt:/content" | jq -r .id)
  else
    folder=$(api "$file" -X POST "$DRIVE/files?fields=id" -H 'Content-Type: application/json' \
      -d "{\"name\":\"$name\",\"mimeType\":\"application/vnd.google-apps.folder\"}" | jq -r .id)
    CLEANUP+=("api '$file' -X DELETE '$DRIVE/files/$folder' >/dev/null")
    for n in a.txt 'a (1).txt'; do
      id=$(api "$file" -X POST "$DRIVE_UPLOAD/files?uploadType=multipart&fields=id" \
        -F "metadata={\"name\":\"$n\",\"parents\":[\"$folder\"]};type=application/json" \
        -F "file=@$WORK/content.txt;type=text/plain" | jq -r .id)
      if [ "$n" = a.txt ]; then keep=$id; else copy=$id; fi
    done
  fi
  FOLDER=$folder KEEP=$keep COPY=$copy
}

in_trash() { # PROVIDER FILE ITEM_ID FOLDER_ID -> "yes"/"no"
  local provider=$1 file=$2 id=$3 folder=$4
  if [ "$provider" = onedrive ]; then
    [ "$(api "$file" "$GRAPH/me/drive/items/$id?\$select=parentReference" | jq -r .parentReference.id)" != "$folder" ] && echo yes || echo no
  else
    [ "$(api "$file" "$DRIVE/files/$id?fields=trashed" | jq -r .trashed)" = true ] && echo yes || echo no
  fi
}

check_account() { # PROVIDER TOKEN_FILE
  local provider=$1 file=$2 name folder keep copy
  name="declutter-live-$(date +%s)-$RANDOM"
  export DECLUTTER_DB="$WORK/$name.db"
  log "$provider ($file): scan (refreshes the token if needed)"
  dc "$provider" "$file" scan "$provider:" >/dev/null || fail "$provider: first scan"
  make_fixture "$provider" "$file" "$name"
  folder=$FOLDER keep=$KEEP copy=$COPY
  if [ -z "$copy" ] || [ "$copy" = null ]; then fail "$provider: could not create the throwaway folder"; fi
  log "$provider: rescan, verify, plan"
  dc "$provider" "$file" scan "$provider:" >/dev/null || fail "$provider: rescan"
  dc "$provider" "$file" verify >/dev/null || fail "$provider: verify"
  dc "$provider" "$file" plan --keep original-name --json > "$WORK/plan.json" || fail "$provider: plan"
  local outside
  outside=$(jq -r --arg p "/$name/" '[.items[] | select(.action == "remove") | select(.path | startswith($p) | not)] | length' "$WORK/plan.json")
  [ "$outside" = 0 ] || fail "$provider: the plan would remove $outside file(s) outside the throwaway folder; use a dedicated test account"
  [ "$(jq -r '[.items[] | select(.action == "remove")] | length' "$WORK/plan.json")" = 1 ] || fail "$provider: expected exactly one removal"
  [ "$(jq -r '.items[] | select(.action == "remove") | .item_id' "$WORK/plan.json")" = "$copy" ] || fail "$provider: planned the wrong copy"
  log "$provider: apply"
  dc "$provider" "$file" apply latest >/dev/null || fail "$provider: apply"
  [ "$(in_trash "$provider" "$file" "$copy" "$folder")" = yes ] || fail "$provider: the copy is not in the trash"
  [ "$(in_trash "$provider" "$file" "$keep" "$folder")" = no ] || fail "$provider: the kept file moved"
  log "$provider: restore"
  local entry
  entry=$(dc "$provider" "$file" trash list --json | jq -r --arg id "$copy" '.[] | select(.item_id == $id) | .id')
  dc "$provider" "$file" trash restore "$entry" >/dev/null || fail "$provider: restore"
  [ "$(in_trash "$provider" "$file" "$copy" "$folder")" = no ] || fail "$provider: the copy did not come back"
  log "$provider: passed"
}

for account in "${ACCOUNTS[@]}"; do
  check_account "${account%%:*}" "${account#*:}"
done
echo "live cloud check: PASSED (${#ACCOUNTS[@]} account(s))"
