#!/usr/bin/env bats
# Certificate management modes (SPEC sections 1, 5 and 7): W5 certificate files
# not mounted, X1 issuer certificates under internal management, X2 external
# metrics with internal webhooks, X3 external webhooks with internal metrics,
# on the Kubebuilder layouts and Kueue's KEP-4377 deployment.

load common

MDIR=/tmp/k8s-metrics-server/metrics-certs
WDIR=/tmp/k8s-webhook-server/serving-certs
AUTO='{"certManagement":"auto"}'
EXTERNAL='{"certManagement":"external"}'
INTERNAL='{"certManagement":"internal"}'
KUEUE='{"metricsCertSecretName":"kueue-metrics-server-cert"}'
KUEUE_INTERNAL='{"metricsCertSecretName":"kueue-metrics-server-cert","certManagement":"internal"}'
KUEUE_EXTERNAL='{"metricsCertSecretName":"kueue-metrics-server-cert","certManagement":"external"}'

untouched() {
  assert_allowed
  assert_no_patch
  assert_no_warnings
}

# ------------------------------------------------------------------ Kubebuilder

@test "modes: Kubebuilder scaffold without cert-manager is accepted untouched in auto and internal" {
  evaluate workloads/kubebuilder-scaffold.json
  untouched
  evaluate workloads/kubebuilder-scaffold.json "$INTERNAL"
  untouched
}

@test "X3: Kubebuilder scaffold in external mode is rejected: nothing shows the binary knows --metrics-cert-path" {
  evaluate workloads/kubebuilder-scaffold.json "$EXTERNAL"
  assert_rejected
  assert_no_patch
  [ "$(violation_count)" -eq 1 ]
  assert_message_contains \
    "Deployment guestbook-system/guestbook-controller-manager: spec.template.spec.containers[0]: Required value: container \"manager\" serves secure metrics (--metrics-bind-address=:8443 on every interface) with internal self-signed certificates: it has no --metrics-cert-path while certManagement is external" \
    "once the binary supports it, add --metrics-cert-path=$MDIR" "[X3]"
}

@test "X3: Kubebuilder scaffold opting in by annotation in external mode gets the metrics certificate injected" {
  annotated="${BATS_TEST_TMPDIR}/annotated.json"
  jq '.object.metadata.annotations["secure-metrics/inject-metrics-certs"] = "true"' \
    "${TEST_DATA}/workloads/kubebuilder-scaffold.json" > "$annotated"
  evaluate "$annotated" "$EXTERNAL"
  assert_allowed
  assert_patch "any(.[]; .op == \"add\" and .value == \"--metrics-cert-path=$MDIR\")"
  assert_warning_contains "[X3] "
  assert_warning_contains "(README#x3-external-webhooks-internal-metrics)"
  second_pass
  untouched
}

@test "X3: Kubebuilder go/v3 kube-rbac-proxy layout (metrics on loopback, webhooks from cert-manager) is untouched in every mode" {
  for settings in "$AUTO" "$EXTERNAL" "$INTERNAL" '{"injectMetricsCertMount":false}'; do
    evaluate workloads/x3-kubebuilder-v3-kube-rbac-proxy.json "$settings"
    untouched
  done
}

@test "X3: a metrics server on the downward-API pod IP is exposed" {
  evaluate workloads/w3-downward-api-pod-ip-kubebuilder-secure.json "$EXTERNAL"
  assert_rejected
  assert_message_contains "--metrics-bind-address=\$(POD_IP):8443 on the pod's IP (from \$(POD_IP))" "[X3]"
  evaluate workloads/w3-downward-api-pod-ip-kubebuilder-secure.json
  untouched
}

@test "modes: Kubebuilder full cert-manager layout is accepted untouched in auto and external" {
  evaluate workloads/kubebuilder-cert-manager.json
  untouched
  evaluate workloads/kubebuilder-cert-manager.json "$EXTERNAL"
  untouched
}

@test "X1: Kubebuilder cert-manager layout under internal certificate management is rejected" {
  evaluate workloads/kubebuilder-cert-manager.json "$INTERNAL"
  assert_rejected
  [ "$(violation_count)" -eq 1 ]
  assert_message_contains \
    "spec.template.spec.containers[0].volumeMounts[0]: Forbidden: container \"manager\" mounts Secret \"metrics-server-cert\" (volume \"metrics-certs\") at $MDIR" \
    "unsupported combination of KEP-4377" "set certManagement to external or auto" "[X1]"
}

@test "X3: webhooks from cert-manager without a metrics certificate: injected in auto, untouched in internal" {
  evaluate workloads/kubebuilder-webhooks-without-metrics-cert.json "$AUTO"
  assert_allowed
  assert_warning_contains "(README#x3-external-webhooks-internal-metrics)"
  evaluate workloads/kubebuilder-webhooks-without-metrics-cert.json "$INTERNAL"
  untouched
}

@test "X3: --metrics-secure=false on loopback is not a secure metrics server" {
  evaluate workloads/x3-insecure-metrics-not-applicable.json "$EXTERNAL"
  untouched
}

@test "X3: in external mode without evidence for --metrics-cert-path nothing is injected" {
  evaluate workloads/x3-external-internal-webhooks.json "$EXTERNAL"
  assert_rejected
  assert_no_patch
  [ "$(violation_count)" -eq 1 ]
  assert_message_contains "spec.template.spec.containers[0]: Required value: container \"manager\" serves secure metrics" \
    "so it injected nothing" "[X3]"
  evaluate workloads/x3-external-internal-webhooks.json
  untouched
}

# ------------------------------------------------------------------ W5

@test "W5: --metrics-cert-path not mounted is repaired in auto" {
  evaluate workloads/w5-metrics-cert-path-not-mounted.json
  assert_allowed
  assert_warning_contains "[W5] spec.template.spec.containers[0]: injected"
  assert_warning_contains "must exist in the namespace before the pod can start"
  assert_warning_contains "(README#w5-certificate-files-not-mounted)"
  second_pass
  untouched
}

@test "W5: in internal mode the repair would break X1 and is refused" {
  evaluate workloads/w5-metrics-cert-path-not-mounted.json "$INTERNAL"
  assert_rejected
  assert_no_patch
  [ "$(violation_count)" -eq 1 ]
  assert_message_contains "spec.template.spec.containers[0].args[3]: Forbidden: --metrics-cert-path names" "the policy cannot repair this" "[X1]" "[W5]"
}

@test "W5: Knative certificate files the metrics Secret does not hold are rejected" {
  evaluate workloads/w5-knative-pem-files-not-mounted.json
  assert_rejected
  assert_no_patch
  [ "$(violation_count)" -eq 2 ]
  assert_message_contains \
    "spec.template.spec.containers[0].env[4].value: Required value: METRICS_PROMETHEUS_TLS_CERT names /etc/metrics-tls/server.pem" \
    "Secret \"metrics-server-cert\" provides tls.crt, tls.key and ca.crt, not server.pem" \
    "spec.template.spec.containers[0].env[5].value"
}

@test "W5: Knative certificate files mounted from a Secret are accepted; X1 in internal mode" {
  evaluate workloads/w5-knative-tls-env-mounted.json
  untouched
  evaluate workloads/w5-knative-tls-env-mounted.json "$INTERNAL"
  assert_rejected
  assert_message_contains "spec.template.spec.containers[0].volumeMounts[0]: Forbidden: container \"controller\" mounts Secret \"controller-metrics-tls\" (volume \"metrics-tls\") at /etc/metrics-tls, over its metrics certificate directory /etc/metrics-tls" "[X1]"
}

# ------------------------------------------------------------------ X1, X2

@test "X1: a projected volume of the metrics Secret under internal management is rejected" {
  evaluate workloads/x1-projected-metrics-secret.json "$INTERNAL"
  assert_rejected
  [ "$(violation_count)" -eq 1 ]
  assert_message_contains "spec.template.spec.containers[0].volumeMounts[0]: Forbidden: container \"manager\" mounts Secret \"metrics-server-cert\" (volume \"metrics-bundle\") at /var/run/metrics" "[X1]"
  evaluate workloads/x1-projected-metrics-secret.json
  untouched
}

@test "X2: metrics certificates from a Secret with webhooks on internal certificates is rejected" {
  for mode in "$AUTO" "$EXTERNAL"; do
    evaluate workloads/x2-metrics-certs-internal-webhooks.json "$mode"
    assert_rejected
    assert_no_patch
    [ "$(violation_count)" -eq 1 ]
    assert_message_contains \
      "spec.template.spec.containers[0]: Forbidden: container \"manager\" mounts external metrics certificates (Secret \"metrics-server-cert\" (volume \"metrics-certs\") at $MDIR) and serves webhooks (port webhook-server)" \
      "no Secret is mounted at its webhook certificate directory $WDIR" "KEP-4377's unsupported option" "[X2]"
  done
}

# ------------------------------------------------------------------ Kueue (KEP-4377)

@test "Kueue: external webhook and metrics certificates (Option 3) are accepted untouched" {
  evaluate workloads/kueue-external-metrics.json "$KUEUE"
  untouched
  evaluate workloads/kueue-external-metrics.json "$KUEUE_EXTERNAL"
  untouched
}

@test "Kueue: external metrics certificates with internal cert management are rejected (X1)" {
  evaluate workloads/kueue-external-metrics.json "$KUEUE_INTERNAL"
  assert_rejected
  [ "$(violation_count)" -eq 1 ]
  assert_message_contains "Deployment kueue-system/kueue-controller-manager: spec.template.spec.containers[0].volumeMounts[2]: Forbidden: container \"manager\" mounts Secret \"kueue-metrics-server-cert\" (volume \"metrics-certs\") at /etc/kueue/metrics-certs" "[X1]"
}

@test "Kueue: external metrics with internal webhooks is KEP-4377's unsupported option (X2)" {
  evaluate workloads/kueue-metrics-certs-internal-webhooks.json "$KUEUE"
  assert_rejected
  assert_message_contains "Deployment kueue-system/kueue-controller-manager: spec.template.spec.containers[0]: Forbidden:" \
    "serves webhooks (port webhook-server)" "[X2]"
}

@test "Kueue: internal metrics certificates (Option 1 and 2) are accepted untouched" {
  evaluate workloads/kueue-internal-metrics.json "$KUEUE_INTERNAL"
  untouched
  evaluate workloads/kueue-internal-metrics.json "$KUEUE"
  untouched
}
