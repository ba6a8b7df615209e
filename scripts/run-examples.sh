#!/usr/bin/env bash
# Evaluates every request in examples/requests/ against the policy, the way
# kwctl does, and prints for each: allowed or rejected, the message, the
# warnings and the JSONPatch of a mutation.
#
#   scripts/run-examples.sh [KWCTL] [POLICY.wasm]
# KWCTL is the runner (a real kwctl, or the bundled host); settings for a
# request come from <request>.settings.json beside it, else {}.
set -euo pipefail
cd "$(dirname "$0")/.."
kwctl="${1:-target/release/policy-host}"
policy="${2:-policy.wasm}"

for request in examples/requests/*.json; do
  case "$request" in *.settings.json) continue ;; esac
  settings_file="${request%.json}.settings.json"
  settings='{}'
  [ -f "$settings_file" ] && settings="$(jq -c . "$settings_file")"
  response="$("$kwctl" run --request-path "$request" --settings-json "$settings" "$policy" 2>/dev/null | grep '^{' | tail -n 1)"
  kind="$(jq -r '(.request // .) | "\(.kind.kind) \(.namespace // "")/\(.name // .object.metadata.name)"' "$request")"
  label="$settings"
  # Long settings (the rollout exceptions) are named by their file.
  [ "${#label}" -le 120 ] || label="$(realpath --relative-to=. "$settings_file")"
  echo "=== $(basename "$request") ($kind) settings=$label"
  if [ "$(jq -r .allowed <<<"$response")" = true ]; then
    echo "ALLOWED"
  else
    echo "REJECTED"
    jq -r '.status.message // ""' <<<"$response" | sed 's/^/  /'
  fi
  jq -r '(.warnings // [])[] | "  warning: " + .' <<<"$response"
  patch="$(jq -r '.patch // ""' <<<"$response")"
  if [ -n "$patch" ]; then
    echo "  patch:"
    base64 -d <<<"$patch" | jq -c '.[]' | sed 's/^/    /'
  fi
  echo
done
