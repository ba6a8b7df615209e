#!/usr/bin/env bats
# Cross-object checks R1-R3 and X4 (SPEC section 12). The cluster's answers
# come from recorded sessions (test_data/cross-object/sessions/), in the format
# of `kwctl run --replay-host-capabilities-interactions`, so every case runs
# unchanged with the bundled host and with a real kwctl (KWCTL=kwctl), which
# gets the policy annotated with policy-metadata.yml (its contextAwareResources).

load common

SESSIONS="${TEST_DATA}/cross-object/sessions"

setup_file() {
  if [ "$(basename "$KWCTL")" != "policy-host" ]; then
    "$KWCTL" annotate -m "${REPO_ROOT}/policy-metadata.yml" -u "${REPO_ROOT}/README.md" \
      -o "${BATS_FILE_TMPDIR}/annotated.wasm" "$POLICY"
    export POLICY="${BATS_FILE_TMPDIR}/annotated.wasm"
  fi
}

# cross FIXTURE SESSION [SETTINGS_JSON]: evaluates FIXTURE (under
# test_data/cross-object/ unless it names a folder) context-aware, the
# lookups answered from SESSION. Cross-object checks are on unless SETTINGS says.
cross() {
  local fixture="$1" session="$2" settings="${3:-}"
  [[ "$fixture" = */* ]] || fixture="cross-object/${fixture}"
  [ -n "$settings" ] || settings='{}'
  settings="$(jq -c '{"crossObjectChecks": true} + .' <<<"$settings")"
  evaluate "$fixture" "$settings" --allow-context-aware \
    --replay-host-capabilities-interactions "${SESSIONS}/${session}"
}

warning_count() { field '(.warnings // []) | length'; }

# metricsCertSecretName for a kustomize name prefix (Kueue's kueue-, the
# Kubebuilder scaffold's guestbook-): SPEC 14's glob.
PREFIXED='["metrics-server-cert", "*-metrics-server-cert"]'

@test "R1: Kueue's monitor whose serverName its Certificate lists is accepted untouched" {
  cross kueue-servicemonitor-verified.json kueue-certificates.yml
  assert_allowed
  assert_no_warnings
  assert_no_patch
}

@test "R1: a serverName the Certificate does not list is rejected, naming the Certificate and its names" {
  cross kueue-servicemonitor-servername-mismatch.json kueue-certificates.yml
  assert_rejected
  assert_message_contains "spec.endpoints[0].tlsConfig.serverName: Invalid value:" \
    "Certificate kueue-system/kueue-metrics-cert" \
    '"kueue-controller-manager-metrics-service.kueue-system.svc"' "x509" "[R1]"
  [ "$(violation_count)" -eq 1 ]
}

@test "R1: a wildcard name certifies exactly one label" {
  cross kueue-servicemonitor-servername-mismatch.json kueue-wildcard-certificate.yml
  assert_allowed
  assert_no_warnings
  cross kueue-servicemonitor-verified.json kueue-wildcard-certificate.yml
  assert_allowed
  assert_no_warnings
}

@test "R1: with no Certificate for the CA Secret there is nothing to compare; R2 warns instead in external mode, and says nothing in auto mode" {
  cross kueue-servicemonitor-servername-mismatch.json kueue-no-certificates.yml
  assert_allowed
  assert_no_warnings
  cross kueue-servicemonitor-servername-mismatch.json kueue-no-certificates.yml '{"certManagement": "external"}'
  assert_allowed
  assert_warning_contains '[R2] spec.endpoints[0].tlsConfig.ca.secret.name: no Certificate writes Secret "kueue-metrics-server-cert" (CA)'
  assert_warning_contains '[R2] spec.endpoints[0].tlsConfig.keySecret.name:'
  [ "$(warning_count)" -eq 3 ]
}

@test "R2 (external mode): Kueue's monitor reading metrics-server-cert gets a \"did you mean\" for kueue-metrics-server-cert" {
  cross kueue-servicemonitor-reads-metrics-server-cert.json kueue-certificates.yml "{\"certManagement\": \"external\", \"metricsCertSecretName\": ${PREFIXED}}"
  assert_allowed
  assert_warning_contains '[R2] spec.endpoints[0].tlsConfig.ca.secret.name: no Certificate writes Secret "metrics-server-cert" (CA)'
  assert_warning_contains 'did you mean "kueue-metrics-server-cert" (written by Certificate kueue-metrics-cert)?'
  # Only metrics Certificates are candidates.
  [ "$(field '[.warnings[] | select(contains("kueue-webhook-server-cert"))] | length')" -eq 0 ]
  [ "$(warning_count)" -eq 3 ]
  # With the default metricsCertSecretName, Kueue's prefixed Certificate is
  # not a metrics Certificate (SPEC 4): no candidate.
  cross kueue-servicemonitor-reads-metrics-server-cert.json kueue-certificates.yml '{"certManagement": "external"}'
  [ "$(field '[.warnings[] | select(contains("did you mean"))] | length')" -eq 0 ]
  [ "$(warning_count)" -eq 3 ]
}

@test "R2 (external mode): a Deployment mounting a metrics Secret no Certificate writes gets a \"did you mean\"" {
  cross workloads/kubebuilder-cert-manager.json guestbook-certificates-prefixed.yml "{\"certManagement\": \"external\", \"metricsCertSecretName\": ${PREFIXED}}"
  assert_allowed
  assert_no_patch
  assert_warning_contains '[R2] spec.template.spec.volumes[0].secret.secretName: no Certificate writes Secret "metrics-server-cert"'
  assert_warning_contains 'did you mean "guestbook-metrics-server-cert"'
  [ "$(warning_count)" -eq 1 ]
}

@test "R2: Kubebuilder's full cert-manager layout, both mounted Secrets written by its Certificates, is accepted untouched" {
  cross workloads/kubebuilder-cert-manager.json guestbook-certificates.yml
  assert_allowed
  assert_no_warnings
  assert_no_patch
  cross workloads/kubebuilder-cert-manager.json guestbook-certificates.yml '{"certManagement": "external"}'
  assert_allowed
  assert_no_warnings
  assert_no_patch
}

@test "R3: Kubebuilder's metrics Certificate naming an existing Service is accepted untouched" {
  cross certificates/kubebuilder-metrics-certs.json project-services.yml
  assert_allowed
  assert_no_warnings
}

@test "R3: a metrics Certificate naming a Service that does not exist is warned about" {
  cross certificates/kubebuilder-metrics-certs.json project-services-no-metrics.yml
  assert_allowed
  assert_warning_contains '[R3] spec.dnsNames[0]: the Service "project-controller-manager-metrics-service" does not exist in namespace "project-system"'
  assert_warning_contains '[R3] spec.dnsNames[1]:'
  [ "$(warning_count)" -eq 2 ]
}

@test "X4 external: Kueue with internalCertManagement (absent means true) is rejected; enable false is accepted" {
  cross kueue-manager-config-internal-certs.json no-lookups.yml '{"certManagement":"external"}'
  assert_rejected
  assert_message_contains "data[controller_manager_config.yaml]: Invalid value:" "self-signed" "[X4]"
  cross kueue-manager-config-cert-manager.json no-lookups.yml '{"certManagement":"external"}'
  assert_allowed
  assert_no_warnings
}

@test "X4 internal: Kueue with internalCertManagement.enable false is rejected; the default is accepted" {
  cross kueue-manager-config-cert-manager.json no-lookups.yml '{"certManagement":"internal"}'
  assert_rejected
  assert_message_contains "data[controller_manager_config.yaml]: Invalid value:" "enable false" "[X4]"
  cross kueue-manager-config-internal-certs.json no-lookups.yml '{"certManagement":"internal"}'
  assert_allowed
  assert_no_warnings
}

@test "X4 auto: internal certificate management next to a cert-manager metrics Certificate is rejected (KEP-4377)" {
  cross kueue-manager-config-internal-certs.json kueue-certificates.yml "{\"metricsCertSecretName\": ${PREFIXED}}"
  assert_rejected
  assert_message_contains "data[controller_manager_config.yaml]: Invalid value:" "kueue-metrics-cert" "KEP-4377" "[X4]"
  # Kueue's prefixed Certificate is a metrics Certificate only by the glob (SPEC 4, 14).
  cross kueue-manager-config-internal-certs.json kueue-certificates.yml
  assert_allowed
  cross kueue-manager-config-internal-certs.json kueue-no-certificates.yml
  assert_allowed
  assert_no_warnings
  cross kueue-manager-config-cert-manager.json no-lookups.yml
  assert_allowed
  assert_no_warnings
}

@test "X4: internalCertManagement.enable of the wrong type is a type violation at the data key" {
  cross kueue-manager-config-enable-string.json no-lookups.yml '{"certManagement":"external"}'
  assert_rejected
  assert_message_contains "data[controller_manager_config.yaml]: Invalid type:" "expected boolean, got string" "[type]"
}

@test "X4: a ConfigMap that holds no Kueue Configuration is accepted untouched without a lookup" {
  cross grafana-configmap-plain.json no-lookups.yml
  assert_allowed
  assert_no_warnings
  assert_no_patch
}

@test "lookups refused: the cross-object rules are skipped with one warning, per-object rules still apply" {
  cross kueue-servicemonitor-servername-mismatch.json kueue-lookup-refused.yml
  assert_allowed
  [ "$(warning_count)" -eq 1 ]
  assert_warning_contains "cross-object checks (R1-R3, X4) skipped: cannot list cert-manager.io/v1 Certificates in namespace \"kueue-system\""
  assert_warning_contains "(not granted); see README#deploying-it-context-aware"
  [ "$(field '.warnings[0]' | grep -c 'has not been granted')" -eq 0 ]
  cross kueue-manager-config-internal-certs.json kueue-lookup-refused.yml
  assert_allowed
  [ "$(warning_count)" -eq 1 ]
  assert_warning_contains "[X4] data[controller_manager_config.yaml]: cross-object checks"
}

@test "lookups refused: without --allow-context-aware the policy still evaluates, with the warning" {
  evaluate cross-object/kueue-servicemonitor-verified.json '{"crossObjectChecks":true}'
  assert_allowed
  [ "$(warning_count)" -eq 1 ]
  assert_warning_contains "[R1] spec.endpoints[0].tlsConfig.serverName: cross-object checks (R1-R3, X4) skipped"
}

@test "no lookup where no rule needs one: R2 only in external mode, so a mounted metrics Secret is looked up in no other" {
  evaluate workloads/kubebuilder-cert-manager.json '{"crossObjectChecks":true}'
  assert_allowed
  assert_no_warnings
  evaluate workloads/kubebuilder-cert-manager.json '{"crossObjectChecks":true,"certManagement":"external"}'
  assert_allowed
  assert_warning_contains "[R2] spec.template.spec.volumes[0].secret.secretName: cross-object checks (R1-R3, X4) skipped"
}

@test "crossObjectChecks false: no lookup is made and no warning is given" {
  cross kueue-servicemonitor-servername-mismatch.json no-lookups.yml '{"crossObjectChecks":false}'
  assert_allowed
  assert_no_warnings
  cross kueue-manager-config-internal-certs.json no-lookups.yml '{"crossObjectChecks":false}'
  assert_allowed
  assert_no_warnings
  cross certificates/kubebuilder-metrics-certs.json no-lookups.yml '{"crossObjectChecks":false}'
  assert_allowed
  assert_no_warnings
}

@test "R1 cluster-scoped: a ClusterPodMonitoring's CA Secret is looked up in the namespace its reference names" {
  cross gmp-cluster-pod-monitoring-kueue-secret-namespace.json kueue-certificates.yml
  assert_allowed
  assert_no_warnings
  cross gmp-cluster-pod-monitoring-kueue-servername-mismatch.json kueue-certificates.yml
  assert_rejected
  assert_message_contains "spec.endpoints[0].tls.serverName: Invalid value:" \
    "Certificate kueue-system/kueue-metrics-cert" "[R1]"
  [ "$(violation_count)" -eq 1 ]
}

@test "R1/R2 cluster-scoped: a reference without namespace skips the checks with one warning and no lookup" {
  cross gmp-cluster-pod-monitoring-kueue-no-secret-namespace.json no-lookups.yml
  assert_allowed
  [ "$(warning_count)" -eq 1 ]
  assert_warning_contains '[R2] spec.endpoints[0].tls.ca.secret.namespace: cross-object checks (R1, R2) skipped for Secret "kueue-metrics-server-cert"'
  cross gmp-cluster-pod-monitoring-kueue-no-secret-namespace.json no-lookups.yml '{"crossObjectChecks":false}'
  assert_allowed
  assert_no_warnings
}

@test "W-serverName: with the Services looked up, the advice names the one Service the selector matches" {
  cross kube-prometheus-kube-state-metrics-no-servername.json kube-prometheus-services.yml
  assert_allowed
  assert_no_patch
  [ "$(warning_count)" -eq 2 ]
  assert_warning_contains "[W-serverName] spec.endpoints[0].tlsConfig.serverName: the endpoint verifies the server certificate but sets no serverName; ...; set serverName: kube-state-metrics.monitoring.svc"
  assert_warning_contains "[W-serverName] spec.endpoints[1].tlsConfig.serverName"
  cross kube-prometheus-kube-state-metrics-servername.json kube-prometheus-services.yml
  assert_allowed
  assert_no_warnings
}

@test "W-serverName: when the selector matches two Services, the advice names none" {
  cross kube-prometheus-kube-state-metrics-no-servername.json kube-prometheus-services-sharded.yml
  assert_allowed
  [ "$(warning_count)" -eq 2 ]
  assert_warning_contains "set serverName to a DNS name the target's certificate carries"
  [[ "$(field '.warnings | join(" ")')" != *".svc"* ]]
}

# The context-aware rows of `make bench` (benches/context-aware.txt): the
# verdict each request gets with its session, so that the bench times the
# path a user's request takes, with every lookup answered.
@test "make bench, context-aware rows: each request is accepted untouched with its session, every lookup answered" {
  local file session gate n=0
  while read -r file session gate; do
    [[ -z "$file" || "$file" == \#* ]] && continue
    cross "${file#test_data/}" "$session" '{"certManagement":"external"}'
    assert_allowed
    assert_no_warnings
    assert_no_patch
    n=$((n + 1))
  done <"${REPO_ROOT}/benches/context-aware.txt"
  [ "$n" -eq 3 ]
}

@test "policy-host bench replays the session for every call, and refuses to time a call that does not replay it" {
  [ -x "$POLICY_HOST" ] || skip "no bundled host (${POLICY_HOST})"
  local file session gate
  while read -r file session gate; do
    [[ -z "$file" || "$file" == \#* ]] && continue
    run --separate-stderr "$POLICY_HOST" bench --json --iterations 5 --warmup 1 \
      --settings-json '{"crossObjectChecks":true,"certManagement":"external"}' --allow-context-aware \
      --replay-host-capabilities-interactions "${SESSIONS}/${session}" "$POLICY" "${REPO_ROOT}/${file}"
    [ "$status" -eq 0 ] || { echo "$stderr" >&2; return 1; }
    [ "$(jq -r '.[0] | "\(.accepted) \(.mutated) \(.lookups) \(.iterations)"' <<<"$output")" = "true false 1 5" ]
    [ "$(jq -r '.[0].lookups_host_median_us > 0' <<<"$output")" = true ]
  done <"${REPO_ROOT}/benches/context-aware.txt"
  # With the checks off no lookup is made: the session is not replayed.
  run --separate-stderr "$POLICY_HOST" bench --iterations 5 --settings-json '{"crossObjectChecks":false}' \
    --allow-context-aware --replay-host-capabilities-interactions "${SESSIONS}/kueue-certificates.yml" \
    "$POLICY" "${TEST_DATA}/cross-object/kueue-servicemonitor-verified.json"
  [ "$status" -ne 0 ]
  [[ "$stderr" == *"did not replay the session"*"1 of the 1 recorded exchanges not replayed"* ]]
  # A session for another namespace: the lookup does not match it.
  run --separate-stderr "$POLICY_HOST" bench --iterations 5 --settings-json '{"crossObjectChecks":true}' \
    --allow-context-aware --replay-host-capabilities-interactions "${SESSIONS}/project-services.yml" \
    "$POLICY" "${TEST_DATA}/cross-object/kueue-servicemonitor-verified.json"
  [ "$status" -ne 0 ]
  [[ "$stderr" == *"Replay error: unexpected request"* ]]
}
