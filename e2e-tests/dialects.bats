#!/usr/bin/env bats
# Metrics servers in their binaries' dialects (SPEC section 14): a binary
# declared in metricsServers, the env dialect of the default reading, and,
# with cross-object checks answered from a recorded session, no mount of a
# Secret that no Certificate writes. Runs with the bundled host and with a
# real kwctl (KWCTL=kwctl), which gets the annotated policy.

load common

SESSIONS="${TEST_DATA}/cross-object/sessions"
NODE_READINESS='{"metricsServers": [{"images": ["registry.k8s.io/node-readiness-controller/*"], "secureDefault": false, "certDirFlags": ["metrics-cert-dir"], "injectFlag": ""}]}'

setup_file() {
  if [ "$(basename "$KWCTL")" != "policy-host" ]; then
    "$KWCTL" annotate -m "${REPO_ROOT}/policy-metadata.yml" -u "${REPO_ROOT}/README.md" \
      -o "${BATS_FILE_TMPDIR}/annotated.wasm" "$POLICY"
    export POLICY="${BATS_FILE_TMPDIR}/annotated.wasm"
  fi
}

@test "dialect: node-readiness-controller declared with secureDefault false is rejected without --metrics-secure=true [W3]" {
  evaluate workloads/w3-node-readiness-controller-metrics-secure-default-false.json "$NODE_READINESS"
  assert_rejected
  assert_message_contains 'spec.template.spec.containers[0].args[2]: Forbidden: --metrics-bind-address=:8443 on every interface with no --metrics-secure=true'
  assert_message_contains 'metricsServers[0]'
  assert_message_contains '[W3]'
}

@test "dialect: node-readiness-controller with --metrics-secure=true is accepted; undeclared, the default reading accepts it" {
  evaluate workloads/w3-node-readiness-controller-metrics-secure.json "$NODE_READINESS"
  assert_allowed
  assert_no_patch
  evaluate workloads/w3-node-readiness-controller-metrics-secure-default-false.json '{}'
  assert_allowed
  assert_no_patch
}

@test "dialect: metricsSecureDefault false fails closed for an undeclared binary, naming metricsServers [W3]" {
  evaluate workloads/w3-node-readiness-controller-metrics-secure-default-false.json '{"metricsSecureDefault": false}'
  assert_rejected
  assert_message_contains 'metricsSecureDefault: false'
  assert_message_contains 'declare the binary in metricsServers'
}

@test "dialect: the OpenTelemetry operator's METRICS_ADDR and METRICS_SECURE=false are read like the flags [W3]" {
  evaluate workloads/w3-opentelemetry-operator-env-metrics-plaintext.json
  assert_rejected
  assert_message_contains 'spec.template.spec.containers[0].env[1].value: Forbidden: env METRICS_ADDR=:8443 on every interface with env METRICS_SECURE=false'
  assert_message_contains '[W3]'
  evaluate workloads/w3-opentelemetry-operator-env-metrics-secure.json
  assert_allowed
  assert_no_patch
}

@test "dialect: an env launcher's METRICS_SECURE=false is the binary's env (OpenTelemetry operator) [W3]" {
  evaluate workloads/w3-opentelemetry-operator-env-launcher-plaintext.json
  assert_rejected
  assert_message_contains 'env METRICS_ADDR=:8443 on every interface with env METRICS_SECURE=false'
  assert_message_contains '[W3]'
  evaluate workloads/w3-opentelemetry-operator-env-launcher-secure.json
  assert_allowed
  assert_no_patch
}

@test "dialect: inside sh -c, the env launcher of the command that runs the binary sets its env (OpenTelemetry operator) [W3]" {
  evaluate workloads/w3-sh-c-env-launcher-opentelemetry-operator-plaintext.json
  assert_rejected
  assert_message_contains 'env METRICS_ADDR=:8443 on every interface with env METRICS_SECURE=false'
  assert_message_contains '[W3]'
  evaluate workloads/w3-sh-c-env-launcher-opentelemetry-operator-secure.json
  assert_allowed
  assert_no_patch
}

@test "dialect: an envFrom whose prefix may spell METRICS_SECURE leaves it unknown in a metrics server [W3]; another prefix cannot" {
  evaluate workloads/w3-kubebuilder-envfrom-metrics-prefix.json
  assert_rejected
  assert_message_contains 'spec.template.spec.containers[0].args[0]: Forbidden: --metrics-bind-address=:8443 on every interface with env METRICS_SECURE=(envFrom)'
  assert_message_contains '[W3]'
  evaluate workloads/w3-kubebuilder-envfrom-manager-prefix.json
  assert_allowed
  assert_no_patch
}

@test "dialect: with lookups, X3 mounts no Secret that no Certificate writes: a warning in auto mode, a rejection in external mode" {
  evaluate workloads/kubebuilder-webhooks-without-metrics-cert.json '{"crossObjectChecks": true}' \
    --allow-context-aware --replay-host-capabilities-interactions "${SESSIONS}/guestbook-no-certificates.yml"
  assert_allowed
  assert_no_patch
  assert_warning_contains '[X3] spec.template.spec.containers[0]:'
  assert_warning_contains 'no cert-manager Certificate in namespace "guestbook-system" writes Secret "metrics-server-cert"'
  evaluate workloads/kubebuilder-webhooks-without-metrics-cert.json '{"crossObjectChecks": true, "certManagement": "external"}' \
    --allow-context-aware --replay-host-capabilities-interactions "${SESSIONS}/guestbook-no-certificates.yml"
  assert_rejected
  assert_message_contains 'writes Secret "metrics-server-cert"'
  assert_message_contains '[X3]'
}

@test "dialect: with lookups and a Certificate writing the Secret, X3 mounts it and adds the flag" {
  evaluate workloads/kubebuilder-webhooks-without-metrics-cert.json '{"crossObjectChecks": true, "certManagement": "external", "metricsCertSecretName": "guestbook-metrics-server-cert"}' \
    --allow-context-aware --replay-host-capabilities-interactions "${SESSIONS}/guestbook-certificates-prefixed.yml"
  assert_allowed
  assert_warning_contains '[X3]'
  decoded_patch | grep -q 'guestbook-metrics-server-cert'
  decoded_patch | grep -q -- '--metrics-cert-path='
}

@test "config file: Kueue's manager reads metrics.bindAddress :8080 from its ConfigMap; with metricsSecureDefault false it is rejected [W3]" {
  evaluate workloads/kueue-manager-config-file.json '{"crossObjectChecks": true, "metricsSecureDefault": false}' \
    --allow-context-aware --replay-host-capabilities-interactions "${SESSIONS}/kueue-manager-config-bind-8080.yml"
  assert_rejected
  assert_message_contains 'spec.template.spec.containers[0].args[0]: Forbidden: metrics.bindAddress in ConfigMap "kueue-manager-config" key "controller_manager_config.yaml"=:8080 on every interface'
  assert_message_contains '[W3]'
}

@test "config file: before Kueue's ConfigMap exists its address is unknown: rejected where TLS may be off [W3], silent where it is on" {
  evaluate workloads/kueue-manager-config-file.json '{"crossObjectChecks": true, "metricsSecureDefault": false}' \
    --allow-context-aware --replay-host-capabilities-interactions "${SESSIONS}/kueue-manager-config-missing.yml"
  assert_rejected
  assert_message_contains 'ConfigMap "kueue-manager-config", which does not exist yet'
  assert_message_contains '[W3]'
  evaluate workloads/kueue-manager-config-file.json '{"crossObjectChecks": true, "certManagement": "external"}' \
    --allow-context-aware --replay-host-capabilities-interactions "${SESSIONS}/kueue-manager-config-missing.yml"
  assert_allowed
  assert_no_patch
  assert_no_warnings
}

@test "config file: Kueue's ConfigMap binding metrics to loopback is accepted; without lookups nothing is read from it" {
  evaluate workloads/kueue-manager-config-file.json '{"crossObjectChecks": true, "metricsSecureDefault": false}' \
    --allow-context-aware --replay-host-capabilities-interactions "${SESSIONS}/kueue-manager-config-bind-loopback.yml"
  assert_allowed
  assert_no_patch
  assert_no_warnings
  evaluate workloads/kueue-manager-config-file.json '{"metricsSecureDefault": false}'
  assert_allowed
  assert_no_warnings
}

@test "config file: JobSet's manager names its metrics certificate directory in metrics.certDir; with the Secret mounted there it is accepted in external mode, with no --metrics-cert-path advice" {
  evaluate workloads/jobset-manager-config-file-cert-dir.json '{"crossObjectChecks": true, "certManagement": "external"}' \
    --allow-context-aware --replay-host-capabilities-interactions "${SESSIONS}/jobset-manager-config-cert-dir.yml"
  assert_allowed
  assert_no_patch
  assert_no_warnings
}
