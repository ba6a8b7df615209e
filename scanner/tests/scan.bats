#!/usr/bin/env bats
# secure-metrics-scan on manifests (run by `make scan-tests`, part of
# `make check`, after policy.wasm and the release scanner are built):
#   SCAN=target/release/secure-metrics-scan POLICY=policy.wasm \
#     POLICY_HOST=target/release/policy-host bats scanner/tests/
#
# Fixtures (scanner/tests/data/):
# - examples.yaml: the objects of examples/requests/*.json, one document each,
#   as `helm template` prints them; examples.settings.yaml: their settings
#   (examples/requests/*.settings.json) as YAML. Regenerate with
#   `jq '.request.object // .object'` over each request, printed as YAML.
# - kueue-chart-servername-mismatch.yaml / kueue-chart-verified.yaml: Kueue's
#   chart rendered with cert-manager and Prometheus, whose ServiceMonitor's
#   serverName its metrics Certificate does not / does list (R1).
# - sarif-schema-2.1.0.json: the OASIS SARIF 2.1.0 schema
#   (oasis-tcs/sarif-spec, sarif-2.1/schema/sarif-schema-2.1.0.json).

bats_require_minimum_version 1.5.0

setup_file() {
  REPO_ROOT="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
  export REPO_ROOT
  export SCAN="${SCAN:-$REPO_ROOT/target/release/secure-metrics-scan}"
  export POLICY="${POLICY:-$REPO_ROOT/policy.wasm}"
  export POLICY_HOST="${POLICY_HOST:-$REPO_ROOT/target/release/policy-host}"
  export DATA="$BATS_TEST_DIRNAME/data"
  [ -x "$SCAN" ] || { echo "no scanner at $SCAN (make scanner)" >&2; return 1; }
  [ -f "$POLICY" ] || { echo "no policy at $POLICY (make policy.wasm)" >&2; return 1; }
}

# scan ARGS...: runs the scanner on policy.wasm; $status, $output (stdout only).
scan() {
  run --separate-stderr "$SCAN" --policy "$POLICY" "$@"
}

# verdict FILE_JSON DOC: the verdict of the object of document DOC.
verdict() { jq -r --argjson d "$2" '.objects[] | select(.document == $d) | .verdict' <<<"$1"; }

@test "examples: every object's verdict is policy-host's (kwctl run's) for its request" {
  scan --format json --no-cross-object --settings "$DATA/examples.settings.yaml" "$DATA/examples.yaml"
  [ "$status" -eq 1 ]
  [ "$(jq '.objects | length' <<<"$output")" -eq 7 ]
  local json="$output" i=0
  for req in "$REPO_ROOT"/examples/requests/*.json; do
    [[ "$req" = *.settings.json ]] && continue
    i=$((i + 1))
    resp="$("$POLICY_HOST" run -r "$req" -s "$REPO_ROOT/examples/requests/kube-prometheus-kubelet-servicemonitor.settings.json" "$POLICY")"
    want="$(jq -r 'if .allowed | not then "rejected" elif .patch then "mutated" else "admitted" end' <<<"$resp")"
    got="$(verdict "$json" "$i")"
    [ "$got" = "$want" ] || { echo "$req (document $i): scan says $got, policy-host $want" >&2; return 1; }
    [ "$(jq --argjson d "$i" '[.objects[] | select(.document == $d) | .warnings[]] | length' <<<"$json")" \
      -eq "$(jq '(.warnings // []) | length' <<<"$resp")" ]
  done
  # The rejected Certificate names its fields and rule.
  [ "$(jq -r '.objects[3].violations[0].path' <<<"$json")" = "spec.dnsNames[0]" ]
  [ "$(jq -r '.objects[3].violations[0].rule' <<<"$json")" = "C2" ]
}

@test "examples, human report: grouped by object, the Deployment's change as YAML" {
  scan --settings "$DATA/examples.settings.yaml" "$DATA/examples.yaml"
  [ "$status" -eq 1 ]
  [[ "$output" == *"examples.yaml, document 3 (line 155): Deployment memcached-operator-system/memcached-operator-controller-manager: admitted with changes"* ]]
  [[ "$output" == *'    +         - "--metrics-cert-path=/tmp/k8s-metrics-server/metrics-certs"'* ]]
  [[ "$output" == *"    +       - name: metrics-certs"* ]]
  [[ "$output" == *"examples.yaml, document 6 (line 268): ServiceMonitor kueue-system/kueue-controller-manager-metrics-monitor: REJECTED"* ]]
  [[ "$output" == *"spec.endpoints[0].tlsConfig.insecureSkipVerify: Forbidden:"*"[M1]"* ]]
  # Cross-object checks on, from the set: the metrics Certificate's Service is not in it (R3).
  [[ "$output" == *"  warning: [R3] spec.dnsNames[0]: the Service"* ]]
  # R2 warns in external mode only (SPEC 16): the verified monitor gets none here.
  [[ "$output" != *"warning: [R2]"* ]]
  [[ "${lines[-1]}" == "7 objects judged: 2 rejected, 1 admitted with changes, 4 admitted unchanged; 4 with warnings; 0 of kinds the policy does not receive; 0 input errors; exit 1" ]]
}

@test "R1 from the chart itself: a serverName its Certificate does not list is rejected, with no cluster" {
  scan -n kueue-system --format json "$DATA/kueue-chart-servername-mismatch.yaml"
  [ "$status" -eq 1 ]
  [ "$(jq -r '.summary.skipped' <<<"$output")" -eq 2 ] # the Service and the Issuer reach no policy
  local monitor
  monitor="$(jq -c '.objects[] | select(.kind == "ServiceMonitor")' <<<"$output")"
  [ "$(jq -r .verdict <<<"$monitor")" = rejected ]
  [ "$(jq -r .namespace <<<"$monitor")" = kueue-system ] # from -n, as kubectl apply -n
  [ "$(jq -r '.violations[0].rule' <<<"$monitor")" = R1 ]
  [ "$(jq -r '.violations[0].path' <<<"$monitor")" = "spec.endpoints[0].tlsConfig.serverName" ]
  [[ "$(jq -r '.violations[0].message' <<<"$monitor")" == *"Certificate kueue-system/kueue-metrics-cert"* ]]
  # The Certificate (no namespace in the chart) was found in kueue-system, so no R2/R3 warning.
  [ "$(jq '[.objects[].warnings[]] | length' <<<"$output")" -eq 0 ]
}

@test "R1: the chart as published is admitted unchanged (exit 0); --no-cross-object turns the lookups off" {
  scan -n kueue-system "$DATA/kueue-chart-verified.yaml"
  [ "$status" -eq 0 ]
  [[ "${lines[-1]}" == "2 objects judged: 0 rejected, 0 admitted with changes, 2 admitted unchanged; 0 with warnings; 2 of kinds the policy does not receive; 0 input errors; exit 0" ]]
  # Lookups off: the policy's default (crossObjectChecks: false) makes none and says nothing.
  scan -n kueue-system --no-cross-object "$DATA/kueue-chart-servername-mismatch.yaml"
  [ "$status" -eq 0 ]
  [[ "$output" != *"warning:"* ]]
  # Settings that turn the checks on get the one warning that they were skipped, not granted.
  printf 'crossObjectChecks: true\n' >"$BATS_TEST_TMPDIR/on.yaml"
  scan -n kueue-system --no-cross-object --settings "$BATS_TEST_TMPDIR/on.yaml" "$DATA/kueue-chart-servername-mismatch.yaml"
  [ "$status" -eq 3 ]
  # R1 needs the lookup (the endpoint sets serverName); R2 would only in external mode.
  [[ "$output" == *"warning: [R1] spec.endpoints[0].tlsConfig.serverName: cross-object checks (R1-R3, X4) skipped:"*"(not granted)"* ]]
}

@test "a bad YAML document is named (file, document, line) and the others are still judged: exit 2" {
  local f="$BATS_TEST_TMPDIR/chart.yaml"
  {
    cat "$DATA/kueue-chart-servername-mismatch.yaml"
    printf -- '---\n# Source: broken/templates/monitor.yaml\napiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata:\n  name: [broken\n'
    printf -- '---\napiVersion: v1\nmetadata:\n  name: no-kind\n'
  } >"$f"
  scan -n kueue-system --format json "$f"
  [ "$status" -eq 2 ]
  [ "$(jq '.objects | length' <<<"$output")" -eq 2 ]
  [ "$(jq -r '.objects[] | select(.kind == "ServiceMonitor") | .verdict' <<<"$output")" = rejected ]
  [ "$(jq -r '.errors[0].document' <<<"$output")" -eq 5 ]
  [[ "$(jq -r '.errors[0].message' <<<"$output")" == "not valid YAML: "* ]]
  [ "$(jq -r '.errors[1].message' <<<"$output")" = "the object has no \`kind\`" ]
  [[ "$stderr" == *"chart.yaml: document 5 (line "*"): not valid YAML"* ]]
  [[ "$stderr" == *"chart.yaml: document 6 (line "*"): the object has no \`kind\`"* ]]
  scan "$BATS_TEST_TMPDIR/missing.yaml"
  [ "$status" -eq 2 ]
  [[ "$output" == *"error: $BATS_TEST_TMPDIR/missing.yaml: cannot read the file"* ]]
}

@test "SARIF: valid against the SARIF 2.1.0 schema, rules with README anchors, located by file and document" {
  scan --format sarif --settings "$DATA/examples.settings.yaml" "$DATA/examples.yaml" "$BATS_TEST_TMPDIR/missing.yaml"
  [ "$status" -eq 2 ]
  printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/out.sarif"
  python3 - "$DATA/sarif-schema-2.1.0.json" "$BATS_TEST_TMPDIR/out.sarif" <<'EOF'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft4Validator.check_schema(schema)
jsonschema.Draft4Validator(schema).validate(json.load(open(sys.argv[2])))
EOF
  local run='.runs[0]'
  [ "$(jq -r "$run.tool.driver.rules | map(.id) | join(\",\")" <<<"$output" | cut -d, -f1-3)" = "M1,M2,M3" ]
  [[ "$(jq -r "$run.tool.driver.rules[] | select(.id == \"R1\") | .helpUri" <<<"$output")" == *"README.md#cross-object-checks-context-aware-r1-r3-x4" ]]
  local m1
  m1="$(jq -c "[$run.results[] | select(.ruleId == \"M1\" and .level == \"error\")][0]" <<<"$output")"
  [ "$(jq -r '.locations[0].physicalLocation.artifactLocation.uri' <<<"$m1")" = "$DATA/examples.yaml" ]
  [ "$(jq -r '.locations[0].physicalLocation.region.startLine' <<<"$m1")" -eq 268 ]
  [ "$(jq -r '.locations[0].properties.document' <<<"$m1")" -eq 6 ]
  [ "$(jq -r "[$run.results[] | select(.level == \"note\")] | length" <<<"$output")" -eq 1 ]
  [ "$(jq -r "$run.invocations[0].executionSuccessful" <<<"$output")" = false ]
  [[ "$(jq -r "$run.invocations[0].toolExecutionNotifications[0].message.text" <<<"$output")" == *"missing.yaml: cannot read the file"* ]]
}

@test "exit codes: 0 clean, 1 rejected, 2 bad input or settings, 3 changes or warnings; --fail-on" {
  local dep="$BATS_TEST_TMPDIR/deployment.yaml" warn="$BATS_TEST_TMPDIR/warn.yaml"
  sed -n '/^# Source: examples\/requests\/kubebuilder-controller-missing-metrics-cert.json/,/^---/p' "$DATA/examples.yaml" | sed '$d' >"$dep"
  sed -n '/^# Source: examples\/requests\/kueue-servicemonitor-verified.json/,$p' "$DATA/examples.yaml" >"$warn"
  # Alone, the Deployment's metrics Secret is written by no Certificate of the
  # set: X3 warns and mounts nothing (SPEC 14); without lookups it is repaired.
  scan "$dep"; [ "$status" -eq 3 ]
  scan --fail-on=mutate "$dep"; [ "$status" -eq 0 ]
  scan --no-cross-object --fail-on=mutate "$dep"; [ "$status" -eq 3 ]
  scan --no-cross-object --fail-on=reject "$dep"; [ "$status" -eq 0 ]
  scan --fail-on=warn "$warn"; [ "$status" -eq 0 ]  # verified, and R2 is for external mode
  printf 'certManagement: external\n' >"$BATS_TEST_TMPDIR/external.yaml"
  scan --settings "$BATS_TEST_TMPDIR/external.yaml" "$warn"; [ "$status" -eq 3 ]  # [R2]: no Certificate in the set
  scan --settings "$BATS_TEST_TMPDIR/external.yaml" --fail-on mutate "$warn"; [ "$status" -eq 0 ]
  scan -n kueue-system "$DATA/kueue-chart-verified.yaml"; [ "$status" -eq 0 ]
  scan -n kueue-system --fail-on=reject "$DATA/kueue-chart-servername-mismatch.yaml"; [ "$status" -eq 1 ]
  # Bad settings: refused by the policy's validate_settings before anything is judged.
  printf 'certManagement: sometimes\n' >"$BATS_TEST_TMPDIR/bad.yaml"
  scan --settings "$BATS_TEST_TMPDIR/bad.yaml" "$dep"
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"Provided settings are not valid:"*"certManagement"* ]]
  # Refused as written, though the scan sets crossObjectChecks itself.
  printf 'crossObjectChecks: 1\n' >"$BATS_TEST_TMPDIR/bad-cross.yaml"
  scan --settings "$BATS_TEST_TMPDIR/bad-cross.yaml" "$dep"
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"crossObjectChecks"* ]]
  scan --settings "$BATS_TEST_TMPDIR/none.yaml" "$dep"; [ "$status" -eq 2 ]
  scan --format xml "$dep"; [ "$status" -eq 2 ]
  scan --policy "$BATS_TEST_TMPDIR/none.wasm" "$dep"; [ "$status" -eq 2 ]
  # An explicit -n that contradicts the object's namespace, as kubectl refuses it.
  scan -n other --format json "$warn"
  [ "$status" -eq 2 ]
  [[ "$(jq -r '.errors[0].message' <<<"$output")" == *'does not match the namespace "other"'* ]]
}

@test "stdin, directories and List documents" {
  scan -n kueue-system - <"$DATA/kueue-chart-servername-mismatch.yaml"
  [ "$status" -eq 1 ]
  [[ "$output" == *"-, document 4 (line 54): ServiceMonitor kueue-system/kueue-controller-manager-metrics-monitor: REJECTED"* ]]
  mkdir -p "$BATS_TEST_TMPDIR/dir/sub"
  cp "$DATA/kueue-chart-verified.yaml" "$BATS_TEST_TMPDIR/dir/sub/a.yaml"
  echo "not a manifest" >"$BATS_TEST_TMPDIR/dir/notes.txt"
  scan -n kueue-system --format json "$BATS_TEST_TMPDIR/dir"
  [ "$status" -eq 0 ]
  [ "$(jq '.objects | length' <<<"$output")" -eq 2 ]
  # kubectl get -o json prints a List.
  jq -s '{apiVersion: "v1", kind: "List", items: map(.request.object // .object)}' \
    "$REPO_ROOT"/examples/requests/kueue-servicemonitor-*.json >"$BATS_TEST_TMPDIR/list.json"
  scan --format json --no-cross-object "$BATS_TEST_TMPDIR/list.json"
  [ "$status" -eq 1 ]
  [ "$(jq -r '[.objects[] | .item] | join(",")' <<<"$output")" = "0,1" ]
  [ "$(jq -r '[.objects[] | .verdict] | join(",")' <<<"$output")" = "rejected,admitted" ]
}

@test "a long input gets a progress line on stderr, a short one none" {
  local big="$BATS_TEST_TMPDIR/big.yaml"
  for i in $(seq 250); do
    sed "s/name: kueue-controller-manager-metrics-monitor/name: monitor-$i/" "$DATA/kueue-chart-verified.yaml"
  done >"$big"
  scan -n kueue-system --fail-on reject "$big"
  [ "$status" -eq 0 ]
  [[ "$stderr" == *"secure-metrics-scan: judged 500/500 objects"* ]]
  scan -n kueue-system "$DATA/kueue-chart-verified.yaml"
  [ -z "$stderr" ]
}
