#!/usr/bin/env bats
# cert-manager Certificates (SPEC section 4): rules C1..C4 on metrics
# certificates; every other Certificate is accepted untouched.

load common

INTERNAL='{"certManagement":"internal"}'
KUEUE='{"metricsCertSecretName":"kueue-metrics-server-cert"}'

# --- which Certificates are judged -------------------------------------------

@test "certificates: Kubebuilder's rendered metrics certificate is accepted" {
  evaluate certificates/kubebuilder-metrics-certs.json
  assert_allowed
  assert_no_patch
  assert_no_warnings
}

@test "certificates: a webhook serving certificate is accepted untouched, odd fields and all" {
  evaluate certificates/webhook-serving-cert.json "$INTERNAL"
  assert_allowed
  assert_no_patch
}

@test "certificates: another Secret name is not a metrics certificate unless configured" {
  evaluate certificates/kueue-metrics-cert.json "$INTERNAL"
  assert_allowed
  evaluate certificates/kueue-metrics-cert.json "$KUEUE"
  assert_allowed
}

@test "certificates: DELETE is accepted untouched" {
  evaluate certificates/delete-metrics-certs.json "$INTERNAL"
  assert_allowed
  assert_no_patch
}

# --- C1 mode mismatch ---------------------------------------------------------

@test "C1: a metrics certificate with certManagement internal is rejected" {
  evaluate certificates/kubebuilder-metrics-certs.json "$INTERNAL"
  assert_rejected
  assert_message_contains "Certificate project-system/project-metrics-certs" \
    "spec.secretName: Forbidden" "KEP-4377" "certManagement to external" \
    "delete this Certificate" "[C1]"
  [ "$(violation_count)" -eq 1 ]
}

@test "C1: Kueue's metrics certificate with internal certificate management is rejected" {
  evaluate certificates/kueue-metrics-cert.json \
    '{"certManagement":"internal","metricsCertSecretName":"kueue-metrics-server-cert"}'
  assert_rejected
  assert_message_contains "Certificate kueue-system/kueue-metrics-cert" "spec.secretName" "[C1]"
}

@test "C1: a certificate recognised by annotation points at the annotation" {
  evaluate certificates/annotated-metrics-cert.json "$INTERNAL"
  assert_rejected
  assert_message_contains "metadata.annotations[secure-metrics/metrics-certificate]: Forbidden" "[C1]"
}

@test "C1: external and auto accept metrics certificates" {
  evaluate certificates/kubebuilder-metrics-certs.json '{"certManagement":"external"}'
  assert_allowed
  evaluate certificates/annotated-metrics-cert.json '{"certManagement":"auto"}'
  assert_allowed
}

# --- C2 names -----------------------------------------------------------------

@test "C2: unreplaced kustomize placeholders are named, not reported as invalid names" {
  evaluate certificates/kubebuilder-metrics-certs-unrendered.json
  assert_rejected
  assert_message_contains "has 2 problems" "spec.dnsNames[0]: Invalid value" "spec.dnsNames[1]" \
    "placeholders SERVICE_NAME, SERVICE_NAMESPACE" "config/default/kustomization.yaml" \
    '"<service-name>.project-system.svc"' "[C2]"
  assert_message_lacks "not a valid DNS name"
}

@test "C2: clusterctl's envsubst \${VAR:=default} placeholders are named, with the rendered name to use" {
  evaluate certificates/clusterctl-metrics-cert-envsubst.json '{"metricsCertSecretName":"capi-metrics-server-cert"}'
  assert_rejected
  assert_message_contains "has 2 problems" "spec.dnsNames[0]: Invalid value" "spec.dnsNames[1]" \
    "envsubst placeholder CAPI_NAMESPACE" '"capi-controller-manager-metrics-service.capi-system.svc"' "[C2]"
  assert_message_lacks "not a valid DNS name"
  evaluate certificates/clusterctl-metrics-cert-rendered.json '{"metricsCertSecretName":"capi-metrics-server-cert"}'
  assert_allowed
}

@test "C2: a service name in another namespace is rejected with the expected namespace" {
  evaluate certificates/wrong-namespace.json
  assert_rejected
  assert_message_contains "spec.dnsNames[0]: Invalid value" 'namespace "system"' \
    'expected namespace "project-system"' \
    '"project-controller-manager-metrics-service.project-system.svc"' "[C2]"
  [ "$(violation_count)" -eq 1 ]
}

@test "C2: a metrics certificate without dnsNames is rejected" {
  evaluate certificates/no-dns-names.json
  assert_rejected
  assert_message_contains "spec.dnsNames: Required value" '"<service>.project-system.svc"' \
    '"<service>.project-system.svc.cluster.local"' "[C2]"
}

@test "C2: wildcard names in the certificate's namespace are accepted" {
  evaluate certificates/wildcard-metrics-cert.json
  assert_allowed
}

# --- C3 usages ----------------------------------------------------------------

@test "C3: usages without server auth are rejected" {
  evaluate certificates/client-auth-usages.json
  assert_rejected
  assert_message_contains "spec.usages: Invalid value" 'lack "server auth"' "[C3]"
}

@test "C3: usages with server auth are accepted" {
  evaluate certificates/server-auth-usages.json
  assert_allowed
}

# --- C4 not a CA --------------------------------------------------------------

@test "C4: a CA certificate as metrics certificate is rejected" {
  evaluate certificates/ca-certificate.json
  assert_rejected
  assert_message_contains "spec.isCA: Forbidden" "must not be a CA" "[C4]"
}

@test "C4: a CA certificate that is not the metrics certificate is not judged" {
  evaluate certificates/webhook-serving-cert.json
  assert_allowed
}

# --- types and aggregation ----------------------------------------------------

@test "certificates: fields of the wrong JSON type are rejected, each named" {
  evaluate certificates/type-errors.json
  assert_rejected
  assert_message_contains "has 3 problems" \
    "spec.dnsNames: Invalid type: expected list, got string" \
    "spec.usages: Invalid type: expected list, got object" \
    "spec.isCA: Invalid type: expected boolean, got string"
}

@test "certificates: every violation is listed in one rejection" {
  evaluate certificates/all-problems.json "$INTERNAL"
  assert_rejected
  [ "$(violation_count)" -eq 5 ]
  assert_message_contains "[C1]" "spec.dnsNames[0]" "spec.dnsNames[1]" "[C3]" "[C4]"
}
