#!/usr/bin/env bats
# Admission as the API server applies it (SPEC section 8): a CREATE is always
# evaluated, only a terminating oldObject skips the rules, unchanged updates
# are accepted untouched, Pods and Jobs are never patched on UPDATE, and the
# audit scanner's requests are evaluated like any CREATE.

load common

@test "admission: a CREATE of an insecure Kueue monitor with a client-set deletionTimestamp is evaluated (regression)" {
  evaluate admission/kueue-servicemonitor-create-with-deletion-timestamp.json
  assert_rejected
  assert_message_contains "ServiceMonitor kueue-system/kueue-controller-manager-metrics-monitor" \
    "spec.endpoints[0].tlsConfig.insecureSkipVerify: Forbidden" "[M1]" "[M5]"
}

@test "admission: a CREATE of a plaintext Kubebuilder Deployment with a client-set deletionTimestamp is evaluated (regression)" {
  evaluate admission/kubebuilder-deployment-create-with-deletion-timestamp.json
  assert_rejected
  assert_message_contains "Deployment guestbook-system/guestbook-controller-manager" "--metrics-secure=false" "[W3]"
}

@test "admission: an UPDATE removing the finalizers of a terminating monitor is accepted untouched" {
  evaluate admission/kueue-servicemonitor-update-terminating.json
  assert_allowed
  assert_no_patch
  assert_no_warnings
}

@test "admission: a deletionTimestamp the client sets on UPDATE does not skip the rules" {
  evaluate admission/kueue-servicemonitor-update-client-deletion-timestamp.json
  assert_rejected
  assert_message_contains "[M1]" "[M5]"
}

@test "admission: a label change of a monitor written before the policy is accepted untouched" {
  evaluate admission/kueue-servicemonitor-update-labels-only.json
  assert_allowed
  assert_no_patch
  assert_no_warnings
}

@test "admission: the same update with a changed spec is evaluated" {
  evaluate admission/kueue-servicemonitor-update-spec-changed.json
  assert_rejected
  assert_message_contains "[M1]" "[M5]"
}

@test "admission: an update that only changes a secure-metrics/* annotation is evaluated" {
  evaluate admission/kueue-servicemonitor-update-policy-annotation.json
  assert_rejected
  assert_message_contains "[M1]"
}

@test "admission: an UPDATE without oldObject is evaluated" {
  evaluate admission/kueue-servicemonitor-update-without-old-object.json
  assert_rejected
  assert_message_contains "[M1]"
}

@test "admission: a CREATE of a Pod that needs the metrics certificate is repaired" {
  evaluate admission/kubebuilder-pod-create-needs-injection.json
  assert_allowed
  [ "$(field '.patch // "" | length')" -gt 0 ]
}

@test "admission: an UPDATE of that Pod is never patched; the repair is reported for when it is recreated" {
  evaluate admission/kubebuilder-pod-update-needs-injection.json
  assert_rejected
  assert_no_patch
  assert_message_contains "Pod guestbook-system/guestbook-controller-manager-7d4b9c" "spec.containers[0]" \
    "cannot change on update" "recreated" "metrics-server-cert" "[X3]"
}

@test "admission: an UPDATE of a Job is never patched either" {
  evaluate admission/kubebuilder-job-update-needs-injection.json
  assert_rejected
  assert_no_patch
  assert_message_contains "Job guestbook-system/guestbook-migrate" "spec.template.spec.containers[0]" "recreated" "[X3]"
}

@test "admission: the audit scanner's CREATE (empty userInfo, no oldObject, kind name in resource) is evaluated" {
  evaluate admission/audit-scanner-kueue-servicemonitor.json
  assert_rejected
  assert_message_contains "ServiceMonitor kueue-system/kueue-controller-manager-metrics-monitor" "[M1]" "[M5]"
}
