#!/usr/bin/env bash
# Smoke test with Kubewarden's real policy-server: starts it on 127.0.0.1
# (plain HTTP, no cluster) with the annotated policy deployed as the two
# entries of examples/policies.yml (the README's two example deployments, the
# module replaced by the local policy), posts AdmissionReviews the way the API
# server does, and checks the answers:
#   - the plain deployment (secure-metrics) answers a batch of requests (every
#     example request and every cross-object fixture) without a single ERROR
#     line in the policy-server's log: no lookup is made, none is refused;
#   - the insecure Kueue ServiceMonitor is denied with its message ([M5], [M1]);
#   - a Kubebuilder Deployment whose --metrics-cert-path nothing mounts is
#     allowed with a JSONPatch that applies to it and adds the mount (W5),
#     and the patched Deployment, posted again, is allowed untouched;
#   - the context-aware deployment (secure-metrics-context-aware, with
#     contextAwareResources and hostCapabilities [kubernetes/list_resources_by_namespace]):
#     the lookup passes the host-capability gate (the log shows the request
#     sent on the callback channel, and no refusal), fails for want of a
#     cluster, and the warning says "no cluster" in the policy's own words.
# The server is started and stopped here: bounded in time, killed on exit.
#
#   scripts/policy-server-smoke.sh POLICY_SERVER ANNOTATED_POLICY.wasm
set -euo pipefail
cd "$(dirname "$0")/.."
server="${1:?usage: $0 POLICY_SERVER ANNOTATED_POLICY.wasm}"
policy="$(cd "$(dirname "${2:?usage: $0 POLICY_SERVER ANNOTATED_POLICY.wasm}")" && pwd)/$(basename "$2")"
command -v curl >/dev/null || { echo "policy-server smoke test: needs curl (make setup installs it)" >&2; exit 1; }

# shellcheck source=scripts/lib/loopback.sh
. scripts/lib/loopback.sh
loopback_init "policy-server smoke test" server.log

port="$(free_port)"
ready_port="$(free_port)"
[ "$port" != "$ready_port" ] || ready_port=$((port + 1))

# The two example deployments, as the policy server reads them.
grep -q '^secure-metrics-context-aware:' examples/policies.yml || fail "examples/policies.yml lacks the context-aware entry"
sed "s|^\( *module: \).*|\1file://$policy|" examples/policies.yml >"$work/policies.yml"

# At most 120 s whatever happens; the trap kills it earlier.
timeout 120 "$server" --policies "$work/policies.yml" --addr 127.0.0.1 --port "$port" \
  --readiness-probe-port "$ready_port" --ignore-kubernetes-connection-failure \
  --policies-download-dir "$work/policies" --sigstore-cache-dir "$work/sigstore" \
  --log-level debug --log-no-color >"$work/server.log" 2>&1 &
pids+=($!)

# Ready when the readiness probe answers (at most 60 s).
base="http://127.0.0.1:$port/validate"
url="$base/secure-metrics"
wait_for "http://127.0.0.1:$ready_port/readiness" "${pids[0]}" "policy-server"

# review FIXTURE [URL]: the fixture (an AdmissionRequest) as the AdmissionReview the
# API server posts, answered by the policy-server; prints the response.
review() {
  jq -c '{apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: (.request // .)}' "$1" >"$work/review.json"
  curl -sS --max-time 30 -H 'Content-Type: application/json' --data-binary "@$work/review.json" "${2:-$url}" \
    | jq -c '.response' || fail "no AdmissionReview response for $1"
}

# The log from line $1 on, without colours (the policy-server colours its
# level tags even with --log-no-color). It is at debug level, so that the
# host-capability gate shows; errors are tagged ERROR.
log_since() { tail -n +"$1" "$work/server.log" | sed 's/\x1b\[[0-9;]*m//g'; }
errors_since() { log_since "$1" | grep -c -w ERROR || true; }

# 0. The plain deployment: a batch of requests, no ERROR in the log.
from=$(($(wc -l <"$work/server.log") + 1))
batch=0
for f in examples/requests/*.json test_data/cross-object/*.json; do
  case "$f" in *.settings.json) continue ;; esac
  resp="$(review "$f")"
  [ -n "$(jq -r .allowed <<<"$resp")" ] || fail "$f: no verdict: $resp"
  if jq -r '(.warnings // [])[]' <<<"$resp" | grep -q 'cross-object checks'; then
    fail "$f: a lookup warning from the plain deployment: $resp"
  fi
  batch=$((batch + 1))
done
[ "$(errors_since "$from")" -eq 0 ] || fail "the plain deployment logged ERROR lines: $(log_since "$from" | grep -w ERROR | head -n 3)"
lookups="$(log_since "$from" | grep -c 'list_resources_by_namespace' || true)"
echo "policy-server: plain deployment, $batch requests, 0 ERROR lines in the log, $lookups lines naming list_resources_by_namespace"

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

# 4. The context-aware deployment: the lookup passes the gate, finds no
# cluster, and the warning says so in the policy's words.
from=$(($(wc -l <"$work/server.log") + 1))
monitor=test_data/cross-object/kueue-servicemonitor-verified.json
resp="$(review "$monitor" "$base/secure-metrics-context-aware")"
[ "$(jq -r .allowed <<<"$resp")" = true ] || fail "$monitor (context-aware): expected allowed, got $resp"
warning="$(jq -r '(.warnings // [])[]' <<<"$resp")"
[ "$(grep -c . <<<"$warning")" -eq 1 ] || fail "$monitor (context-aware): expected one warning, got $resp"
[[ "$warning" == "[R1] "*"cannot list cert-manager.io/v1 Certificates in namespace \"kueue-system\" (no cluster)"* ]] \
  || fail "$monitor (context-aware): the warning does not say no cluster: $warning"
[ "${#warning}" -le 256 ] || fail "$monitor (context-aware): a warning of ${#warning} characters"
log="$(log_since "$from")"
grep -q 'list_resources_by_namespace' <<<"$log" && grep -q 'Sending request via callback channel' <<<"$log" \
  || fail "the context-aware lookup did not pass the host-capability gate"
if grep -q "doesn't have access\|not been granted" <<<"$log"; then
  fail "the context-aware lookup was refused: $(grep "doesn't have access\|not been granted" <<<"$log" | head -n 1)"
fi
echo "policy-server: context-aware deployment, the lookup passed the gate; warning: $warning"
echo "  the log lines of the lookup:"
{ grep -m 3 'list_resources_by_namespace\|Sending request via callback channel' <<<"$log" || true; } | sed -E 's/^([^ ]+ +[A-Z]+) .*}: /\1 /' | cut -c1-300 | sed 's/^/    /'
