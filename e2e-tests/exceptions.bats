#!/usr/bin/env bats
# Exceptions (SPEC section 11): the kube-prometheus default ServiceMonitors
# (test_data/exceptions/kube-prometheus-*.json, from
# prometheus-operator/kube-prometheus manifests/) and an Istio workload
# certificate scrape, admitted with the entries of the README's "Rolling out
# on an existing cluster" (examples/rollout.settings.json, which
# tests/metadata.rs keeps equal to the README and the example policy), and
# still rejected where the entries do not reach.

load common

ROLLOUT="${REPO_ROOT}/examples/rollout.settings.json"

# The 9 kube-prometheus monitors the default settings reject, with the
# number of violations each has (every one M1 or M5).
REJECTED_BY_DEFAULT="blackbox-exporter:2 coredns:1 kube-controller-manager:4 kube-scheduler:4 kube-state-metrics:4 kubelet:8 node-exporter:2 prometheus-adapter:2 prometheus-operator:2"
ADMITTED_BY_DEFAULT="alertmanager-main grafana kube-apiserver prometheus-k8s"

rollout() { jq -c . "$ROLLOUT"; }

# The reason of the first rollout entry naming monitor NAME.
reason_for() {
  jq -r --arg n "$1" '[.exceptions[] | select((.names // []) | index($n))][0].reason' "$ROLLOUT"
}

# moved FIXTURE JQ_FILTER: a copy of the request fixture with the filter
# applied, in the test's temporary directory.
moved() {
  local out="${BATS_TEST_TMPDIR}/$(basename "$1" .json)-$RANDOM.json"
  jq "$2" "${TEST_DATA}/$1" > "$out"
  echo "$out"
}

@test "exceptions: without them, 9 of the 13 kube-prometheus monitors are rejected, for M1 and M5 only" {
  local entry name count
  for entry in $REJECTED_BY_DEFAULT; do
    name="${entry%%:*}" count="${entry##*:}"
    evaluate "exceptions/kube-prometheus-${name}.json"
    assert_rejected
    [ "$(violation_count)" = "$count" ] || { echo "$name: $(violation_count) violations, expected $count: $output" >&2; return 1; }
    field '.status.message' | grep -E '\[[A-Za-z0-9-]+\]$' | grep -vE '\[(M1|M5)\]$' && { echo "$name: a rule other than M1/M5" >&2; return 1; }
  done
  for name in $ADMITTED_BY_DEFAULT; do
    evaluate "exceptions/kube-prometheus-${name}.json"
    assert_allowed
  done
}

@test "exceptions: with the README's entries every kube-prometheus monitor is admitted, each violation a warning quoting its reason" {
  local entry name count reason
  for entry in $REJECTED_BY_DEFAULT; do
    name="${entry%%:*}" count="${entry##*:}"
    reason="$(reason_for "$name")"
    evaluate "exceptions/kube-prometheus-${name}.json" "$(rollout)"
    assert_allowed
    assert_no_patch
    # One warning per excepted rule and finding, three or more findings of a
    # rule folded into one (README, "Rolling out"), each within the API
    # server's 256 characters, quoting the start of the reason.
    [ "$(field '.warnings | length')" -ge 1 ] && [ "$(field '.warnings | length')" -le "$count" ] \
      || { echo "$name: expected 1 to $count warnings: $output" >&2; return 1; }
    printf '%s' "$output" | jq -e --arg r "${reason:0:60}" \
      '.warnings | all((startswith("[M1] excepted (\"" + $r) or startswith("[M5] excepted (\"" + $r))
                       and contains("): spec.endpoints[") and (length <= 256))' >/dev/null \
      || { echo "$name: warnings do not quote '${reason:0:60}': $output" >&2; return 1; }
  done
  for name in $ADMITTED_BY_DEFAULT; do
    evaluate "exceptions/kube-prometheus-${name}.json" "$(rollout)"
    assert_allowed
    assert_no_warnings
  done
}

@test "exceptions: the kubelet monitor's warnings name the rule, the reason and the field" {
  evaluate exceptions/kube-prometheus-kubelet.json "$(rollout)"
  assert_allowed
  # Four endpoints, M1 and M5 each: folded into one warning per rule.
  [ "$(field '.warnings | length')" = "2" ] || { echo "expected 2 folded warnings: $output" >&2; return 1; }
  assert_warning_contains '[M1] excepted ("kubelet serving certificates are self-signed on kubeadm'
  assert_warning_contains '"): spec.endpoints[0,1,2,3].tlsConfig.insecureSkipVerify: Forbidden: '
  assert_warning_contains '[M5] excepted ("kubelet serving certificates are self-signed on kubeadm'
  assert_warning_contains '"): spec.endpoints[0,1,2,3].bearerTokenFile: Forbidden: '
  assert_warning_contains '(README#m1-no-insecureskipverify)'
}

@test "exceptions: the same monitors in another namespace are still rejected" {
  local entry name f
  for entry in $REJECTED_BY_DEFAULT; do
    name="${entry%%:*}"
    f="$(moved "exceptions/kube-prometheus-${name}.json" '.namespace = "team-a" | .object.metadata.namespace = "team-a"')"
    evaluate "$f" "$(rollout)"
    assert_rejected
    assert_message_contains "ServiceMonitor team-a/${name}"
    assert_no_warnings
  done
}

@test "exceptions: the namespace falls back to the request's when metadata has none" {
  local f
  f="$(moved exceptions/kube-prometheus-node-exporter.json 'del(.object.metadata.namespace)')"
  evaluate "$f" "$(rollout)"
  assert_allowed
  assert_warning_contains '[M1] excepted ("kube-rbac-proxy serves'
  f="$(moved exceptions/kube-prometheus-node-exporter.json 'del(.object.metadata.namespace) | .namespace = "team-a"')"
  evaluate "$f" "$(rollout)"
  assert_rejected
}

@test "exceptions: a monitor renamed out of the entry's names is still rejected" {
  local f
  f="$(moved exceptions/kube-prometheus-kubelet.json '.name = "kubelet-copy" | .object.metadata.name = "kubelet-copy"')"
  evaluate "$f" "$(rollout)"
  assert_rejected
  assert_message_contains "[M1]" "[M5]"
}

@test "exceptions: an extra violation of a rule not excepted is still rejected, the excepted ones stay warnings" {
  local f
  f="$(moved exceptions/kube-prometheus-kubelet.json '.object.spec.endpoints[0].tlsConfig.keySecret = {"name": "prometheus-client", "key": "tls.key"}')"
  evaluate "$f" "$(rollout)"
  assert_rejected
  [ "$(violation_count)" = "1" ] || { echo "expected only the M2 violation: $output" >&2; return 1; }
  assert_message_contains "spec.endpoints[0].tlsConfig" "[M2]"
  assert_message_lacks "[M1]" "[M5]"
  [ "$(field '.warnings | length')" = "2" ] || { echo "expected the 8 excepted findings in 2 folded warnings: $output" >&2; return 1; }
  assert_warning_contains '"): spec.endpoints[0,1,2,3].tlsConfig.insecureSkipVerify: Forbidden: '
}

@test "exceptions: an entry excepts only the rules it lists" {
  local settings
  settings='{"exceptions":[{"rules":["M1"],"kinds":["ServiceMonitor"],"namespaces":["monitoring"],"names":["kube-state-metrics"],"reason":"self-signed kube-rbac-proxy"}]}'
  evaluate exceptions/kube-prometheus-kube-state-metrics.json "$settings"
  assert_rejected
  [ "$(violation_count)" = "2" ] || { echo "expected the 2 M5 violations: $output" >&2; return 1; }
  assert_message_contains "[M5]"
  assert_message_lacks "[M1]"
  assert_warning_contains '[M1] excepted ("self-signed kube-rbac-proxy"): spec.endpoints[0].tlsConfig.insecureSkipVerify'
}

@test "exceptions: an entry for another kind does not reach a ServiceMonitor" {
  evaluate exceptions/kube-prometheus-node-exporter.json \
    '{"exceptions":[{"rules":["M1","M5"],"kinds":["PodMonitor"],"namespaces":["monitoring"],"reason":"PodMonitors only"}]}'
  assert_rejected
  assert_no_warnings
}

@test "exceptions: globs in namespaces and names" {
  evaluate exceptions/kube-prometheus-kube-scheduler.json \
    '{"exceptions":[{"rules":["M1","M5"],"namespaces":["monitor*"],"names":["kube-*"],"reason":"kubeadm self-signed"}]}'
  assert_allowed
  evaluate exceptions/kube-prometheus-node-exporter.json \
    '{"exceptions":[{"rules":["M1","M5"],"namespaces":["monitor*"],"names":["kube-*"],"reason":"kubeadm self-signed"}]}'
  assert_rejected
}

@test "exceptions: Istio's workload-certificate scrape is admitted in the meshed namespace only" {
  evaluate exceptions/istio-workload-certs-servicemonitor.json
  assert_rejected
  assert_message_contains "spec.endpoints[0].tlsConfig.insecureSkipVerify: Forbidden" "[M1]"
  evaluate exceptions/istio-workload-certs-servicemonitor.json "$(rollout)"
  assert_allowed
  assert_warning_contains '[M1] excepted ("Istio workload certificates name a SPIFFE identity'
  local f
  f="$(moved exceptions/istio-workload-certs-servicemonitor.json '.namespace = "default" | .object.metadata.namespace = "default"')"
  evaluate "$f" "$(rollout)"
  assert_rejected
}

@test "exceptions: settings refusals name the path" {
  refuse_settings '{"exceptions":[{"rules":["M1"],"namespaces":["a"],"reason":"r"},{"rules":["M1"],"namespaces":["a"],"reason":"r"},{"rules":["M99"],"namespaces":["a"],"reason":"r"}]}' \
    'exceptions[2].rules[0]: Invalid value: unknown rule id "M99"' "[settings]"
  refuse_settings '{"exceptions":[{"rules":["type"],"namespaces":["a"],"reason":"r"}]}' 'exceptions[0].rules[0]: Forbidden'
  refuse_settings '{"exceptions":[{"rules":[],"namespaces":["a"],"reason":"r"}]}' 'exceptions[0].rules: Required value'
  refuse_settings '{"exceptions":[{"rules":["M1"],"namespaces":["a"],"reason":""}]}' 'exceptions[0].reason: Required value'
  refuse_settings '{"exceptions":[{"rules":["M1"],"kinds":["ServiceMonitor"],"reason":"r"}]}' 'exceptions[0]: Required value: an entry needs namespaces or names'
  refuse_settings '{"exceptions":[{"rules":"M1","namespaces":["a"],"reason":"r"}]}' 'exceptions[0].rules: Invalid type'
  refuse_settings '{"exceptions":{"rules":["M1"]}}' 'exceptions: Invalid type: expected a list'
}

@test "exceptions: the README's entries are valid settings" {
  evaluate routing/deployment-clean.json "$(rollout)"
  assert_allowed
}
