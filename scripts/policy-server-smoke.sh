#!/usr/bin/env bash
# Smoke test with Kubewarden's real policy-server: starts it on 127.0.0.1
# (plain HTTP, no cluster) with the annotated policy, posts AdmissionReviews
# the way the API server does, and checks the answers:
#   - the insecure Kueue ServiceMonitor is denied with its message ([M5], [M1]);
#   - a Kubebuilder Deployment whose --metrics-cert-path nothing mounts is
#     allowed with a JSONPatch that applies to it and adds the mount (W5),
#     and the patched Deployment, posted again, is allowed untouched.
# The server is started and stopped here: bounded in time, killed on exit.
#
#   scripts/policy-server-smoke.sh POLICY_SERVER ANNOTATED_POLICY.wasm
set -euo pipefail
cd "$(dirname "$0")/.."
server="${1:?usage: $0 POLICY_SERVER ANNOTATED_POLICY.wasm}"
policy="$(cd "$(dirname "${2:?usage: $0 POLICY_SERVER ANNOTATED_POLICY.wasm}")" && pwd)/$(basename "$2")"
command -v curl >/dev/null || { echo "policy-server smoke test: needs curl (make setup installs it)" >&2; exit 1; }

work="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "policy-server smoke test: $*" >&2
  echo "--- policy-server log (last 40 lines):" >&2
  tail -n 40 "$work/server.log" >&2 || true
  exit 1
}

# A port nothing listens on yet (bash's /dev/tcp fails to connect to it).
free_port() {
  local p
  for _ in $(seq 50); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  return 1
}
port="$(free_port)"
ready_port="$(free_port)"
[ "$port" != "$ready_port" ] || ready_port=$((port + 1))

cat >"$work/policies.yml" <<EOF
secure-metrics:
  module: file://$policy
  allowedToMutate: true
  settings: {}
EOF

# At most 120 s whatever happens; the trap kills it earlier.
timeout 120 "$server" --policies "$work/policies.yml" --addr 127.0.0.1 --port "$port" \
  --readiness-probe-port "$ready_port" --ignore-kubernetes-connection-failure \
  --policies-download-dir "$work/policies" --sigstore-cache-dir "$work/sigstore" \
  --log-level warn --log-no-color >"$work/server.log" 2>&1 &
pid=$!

# Ready when the validate endpoint answers (at most 60 s).
url="http://127.0.0.1:$port/validate/secure-metrics"
for i in $(seq 600); do
  kill -0 "$pid" 2>/dev/null || fail "policy-server exited before it was ready"
  if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$ready_port/readiness"; then break; fi
  [ "$i" -lt 600 ] || fail "policy-server not ready after 60 s"
  sleep 0.1
done

# review FIXTURE: the fixture (an AdmissionRequest) as the AdmissionReview the
# API server posts, answered by the policy-server; prints the response.
review() {
  jq -c '{apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: (.request // .)}' "$1" >"$work/review.json"
  curl -sS --max-time 30 -H 'Content-Type: application/json' --data-binary "@$work/review.json" "$url" \
    | jq -c '.response' || fail "no AdmissionReview response for $1"
}

# 1. An insecure ServiceMonitor is denied with its message.
monitor=test_data/monitors/kueue-insecure.json
resp="$(review "$monitor")"
[ "$(jq -r .allowed <<<"$resp")" = false ] || fail "$monitor: expected a denial, got $resp"
message="$(jq -r '.status.message // ""' <<<"$resp")"
for want in "spec.endpoints[0].tlsConfig.insecureSkipVerify: Forbidden:" "[M1]" "[M5]"; do
  [[ "$message" == *"$want"* ]] || fail "$monitor: the message lacks '$want': $message"
done
echo "policy-server: $monitor denied: $(head -n 1 <<<"$message")"

# 2. A Deployment missing its metrics certificate mount gets a JSONPatch that applies.
deployment=test_data/workloads/w5-metrics-cert-path-not-mounted.json
resp="$(review "$deployment")"
[ "$(jq -r .allowed <<<"$resp")" = true ] || fail "$deployment: expected allowed, got $resp"
[ "$(jq -r '.patchType // ""' <<<"$resp")" = JSONPatch ] || fail "$deployment: no JSONPatch in $resp"
jq -r .patch <<<"$resp" | base64 -d >"$work/patch.json"
jq -c '.request // .' "$deployment" >"$work/request.json"
jq -c -L e2e-tests --slurpfile patch "$work/patch.json" \
  'include "jsonpatch"; .object |= jsonpatch($patch[0])' "$work/request.json" >"$work/patched.json" \
  || fail "$deployment: the patch does not apply: $(cat "$work/patch.json")"
jq -e '.object.spec.template.spec as $s
  | ($s.volumes | any(.secret.secretName == "metrics-server-cert"))
  and ($s.containers[0].volumeMounts
       | any(.mountPath == "/tmp/k8s-metrics-server/metrics-certs" and .readOnly == true))' \
  "$work/patched.json" >/dev/null || fail "$deployment: the patched object lacks the mount: $(cat "$work/patch.json")"
jq -r '(.warnings // [])[]' <<<"$resp" | grep -q '^\[W5\] ' || fail "$deployment: no [W5] warning in $resp"
echo "policy-server: $deployment patched: $(jq -c 'map(.op + " " + .path)' "$work/patch.json")"

# 3. The patched Deployment, posted again, is allowed with no patch.
resp="$(review "$work/patched.json")"
[ "$(jq -r .allowed <<<"$resp")" = true ] && [ "$(jq -r '.patch // ""' <<<"$resp")" = "" ] \
  || fail "the patched Deployment is not accepted untouched: $resp"
echo "policy-server: the patched Deployment is accepted untouched"
