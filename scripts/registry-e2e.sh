#!/usr/bin/env bash
# The release path through a real OCI registry: starts the CNCF distribution
# registry (Debian's `docker-registry`) on 127.0.0.1 with its own config and
# storage in a temporary directory (never the system service), then
#   1. `kwctl push`es the annotated policy to it (plain HTTP: the registry is
#      listed in a sources file as insecure);
#   2. `kwctl pull` brings it back into a fresh kwctl store, the same bytes,
#      and `kwctl inspect registry://...` shows its metadata and README;
#   3. a `policy-server` loads the policy from `registry://` (same sources
#      file) and answers an insecure ServiceMonitor with a denial and a clean
#      one with an admission.
# Registry and policy-server are killed on exit; every wait is bounded.
#
#   scripts/registry-e2e.sh KWCTL POLICY_SERVER ANNOTATED_POLICY.wasm
set -euo pipefail
cd "$(dirname "$0")/.."
usage="usage: $0 KWCTL POLICY_SERVER ANNOTATED_POLICY.wasm"
kwctl="${1:?$usage}"
server="${2:?$usage}"
policy="$(cd "$(dirname "${3:?$usage}")" && pwd)/$(basename "$3")"
registry="$(command -v docker-registry || echo /usr/bin/docker-registry)"
[ -x "$registry" ] || { echo "registry e2e: needs docker-registry (make setup installs it)" >&2; exit 1; }
command -v curl >/dev/null || { echo "registry e2e: needs curl (make setup installs it)" >&2; exit 1; }

# shellcheck source=scripts/lib/loopback.sh
. scripts/lib/loopback.sh
loopback_init "registry e2e" registry.log server.log

reg_port="$(free_port)"
debug_port="$(free_port)"
host="127.0.0.1:$reg_port"
ref="registry://$host/secure-metrics/policies/secure-metrics:v0.1.0"

# The registry: its own config (no system config, no auth), storage under $work.
mkdir -p "$work/storage" "$work/home"
cat >"$work/registry.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $work/storage
  delete:
    enabled: true
http:
  addr: $host
  debug:
    addr: 127.0.0.1:$debug_port
EOF
timeout 300 "$registry" serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
pids+=($!)
wait_for "http://$host/v2/" "${pids[0]}" "the registry"
echo "registry e2e: distribution registry on $host ($("$registry" --version 2>/dev/null | head -n 1))"

# kwctl and policy-server trust it over plain HTTP through this file only.
cat >"$work/sources.yml" <<EOF
insecure_sources:
  - "$host"
EOF
# kwctl keeps its store and config under HOME: a fresh one.
export HOME="$work/home" XDG_CACHE_HOME="$work/home/.cache" XDG_CONFIG_HOME="$work/home/.config"

# 1. Push.
timeout 120 "$kwctl" push --sources-path "$work/sources.yml" "$policy" "$ref" >"$work/push.log" 2>&1 \
  || fail "kwctl push failed: $(cat "$work/push.log")"
digest="$(curl -sS --max-time 10 -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
  -o /dev/null -w '%{http_code}' "http://$host/v2/secure-metrics/policies/secure-metrics/manifests/v0.1.0")"
[ "$digest" = 200 ] || fail "the registry has no manifest for v0.1.0 after the push (HTTP $digest)"
echo "registry e2e: pushed $ref"

# 2. Pull into the (fresh) store, then inspect: the metadata and the README come back.
timeout 120 "$kwctl" pull --sources-path "$work/sources.yml" "$ref" >"$work/pull.log" 2>&1 \
  || fail "kwctl pull failed: $(cat "$work/pull.log")"
pulled="$(find "$XDG_CACHE_HOME/kubewarden/store" -type f | head -n 1)"
[ -n "$pulled" ] && cmp -s "$pulled" "$policy" || fail "the pulled policy is not the pushed one (${pulled:-nothing in the store})"
echo "registry e2e: kwctl pull brought back the pushed bytes"
timeout 120 "$kwctl" inspect --sources-path "$work/sources.yml" "$ref" >"$work/inspect.txt" 2>&1 \
  || fail "kwctl inspect failed: $(cat "$work/inspect.txt")"
for want in "title:" "secure-metrics" "io.kubewarden.policy.version" "0.1.0" "servicemonitors" \
  "Scan manifests in CI" "Rolling out on an existing cluster"; do
  grep -qF -- "$want" "$work/inspect.txt" || fail "kwctl inspect lacks '$want': $(head -n 40 "$work/inspect.txt")"
done
echo "registry e2e: kwctl inspect shows the metadata and the README"

# 3. A policy-server that loads the policy from the registry.
port="$(free_port)"
ready_port="$(free_port)"
[ "$port" != "$ready_port" ] || ready_port=$((port + 1))
cat >"$work/policies.yml" <<EOF
secure-metrics:
  module: $ref
  allowedToMutate: true
  settings: {}
EOF
timeout 180 "$server" --policies "$work/policies.yml" --addr 127.0.0.1 --port "$port" \
  --readiness-probe-port "$ready_port" --ignore-kubernetes-connection-failure \
  --sources-path "$work/sources.yml" \
  --policies-download-dir "$work/policies" --sigstore-cache-dir "$work/sigstore" \
  --log-level warn --log-no-color >"$work/server.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$ready_port/readiness" "${pids[1]}" "policy-server"
ls "$work/policies" >/dev/null 2>&1 || fail "policy-server downloaded nothing into its download directory"
echo "registry e2e: policy-server loaded $ref"

url="http://127.0.0.1:$port/validate/secure-metrics"
review() {
  jq -c '{apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: (.request // .)}' "$1" >"$work/review.json"
  curl -sS --max-time 30 -H 'Content-Type: application/json' --data-binary "@$work/review.json" "$url" \
    | jq -c '.response' || fail "no AdmissionReview response for $1"
}
insecure=test_data/monitors/kueue-insecure.json
resp="$(review "$insecure")"
[ "$(jq -r .allowed <<<"$resp")" = false ] || fail "$insecure: expected a denial, got $resp"
[[ "$(jq -r '.status.message // ""' <<<"$resp")" == *"[M1]"* ]] || fail "$insecure: no [M1] in $resp"
echo "registry e2e: $insecure denied by the policy pulled from the registry"
verified=examples/requests/kueue-servicemonitor-verified.json
resp="$(review "$verified")"
[ "$(jq -r .allowed <<<"$resp")" = true ] || fail "$verified: expected allowed, got $resp"
echo "registry e2e: $verified allowed"
