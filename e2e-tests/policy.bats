#!/usr/bin/env bats
# Settings (SPEC section 1) and request handling (SPEC section 2).

load common

@test "settings: defaults are valid" {
  evaluate routing/deployment-clean.json '{}'
  assert_allowed
}

@test "settings: every key accepted with a valid value" {
  evaluate routing/deployment-clean.json '{"certManagement":"internal","metricsCertSecretName":"kueue-metrics-cert","metricsCertVolumeName":"metrics-tls","metricsCertMountPath":"/etc/metrics-tls","webhookCertMountPath":"/etc/webhook-tls","metricsContainerName":"kueue","injectMetricsCertMount":false,"allowInsecureSkipVerify":true,"requireHttps":true,"certKeyPairs":[{"cert":"--client-cert","key":"--client-key"},{"cert":"CLIENT_CERT","key":"CLIENT_KEY"}]}'
  assert_allowed
}

@test "settings: an unknown key is refused, naming it" {
  refuse_settings '{"certManagment":"auto"}' "certManagment" "unknown setting"
}

@test "settings: an unknown certManagement value is refused" {
  refuse_settings '{"certManagement":"manual"}' "certManagement" "manual"
}

@test "settings: empty names are refused" {
  refuse_settings '{"metricsCertSecretName":""}' "metricsCertSecretName: Required value: must not be empty"
  refuse_settings '{"metricsCertVolumeName":""}' "metricsCertVolumeName: Required value: must not be empty"
  refuse_settings '{"metricsContainerName":""}' "metricsContainerName: Required value: must not be empty"
  refuse_settings '{"metricsCertMountPath":""}' "metricsCertMountPath: Required value: must not be empty"
  refuse_settings '{"webhookCertMountPath":""}' "webhookCertMountPath: Required value: must not be empty"
}

@test "settings: mount paths must be absolute" {
  refuse_settings '{"metricsCertMountPath":"tmp/metrics-certs"}' "metricsCertMountPath" "not an absolute path"
  refuse_settings '{"webhookCertMountPath":"serving-certs"}' "webhookCertMountPath" "not an absolute path"
}

@test "settings: mount paths must not clean to / or a system directory" {
  refuse_settings '{"metricsCertMountPath":"/tmp/.."}' "metricsCertMountPath: Invalid value" "cleans to /, which is the root directory" "[settings]"
  refuse_settings '{"metricsCertMountPath":"//"}' "metricsCertMountPath" "cleans to /,"
  refuse_settings '{"webhookCertMountPath":"/etc/./"}' "webhookCertMountPath: Invalid value" "cleans to /etc, which is a system directory"
  evaluate routing/deployment-clean.json '{"metricsCertMountPath":"/etc/kueue/metrics/certs","webhookCertMountPath":"/tmp/k8s-webhook-server/serving-certs/"}'
  assert_allowed
}

@test "settings: the volume name must be a DNS-1123 label" {
  refuse_settings '{"metricsCertVolumeName":"Metrics_Certs"}' "metricsCertVolumeName" "DNS-1123 label"
}

@test "settings: the secret name must be a DNS-1123 subdomain" {
  refuse_settings '{"metricsCertSecretName":"metrics_server_cert"}' "metricsCertSecretName" "DNS-1123 subdomain"
}

@test "settings: allowInsecureSkipVerify only with internal certificate management" {
  refuse_settings '{"allowInsecureSkipVerify":true}' "allowInsecureSkipVerify" "internal"
  refuse_settings '{"allowInsecureSkipVerify":true,"certManagement":"external"}' "allowInsecureSkipVerify" "external"
  evaluate routing/deployment-clean.json '{"allowInsecureSkipVerify":true,"certManagement":"internal"}'
  assert_allowed
}

@test "settings: certKeyPairs entries need a distinct cert and key" {
  refuse_settings '{"certKeyPairs":[{"cert":"","key":"TLS_KEY"}]}' "certKeyPairs[0].cert: Required value: must not be empty"
  refuse_settings '{"certKeyPairs":[{"cert":"--tls-cert"}]}' "certKeyPairs[0].key: Required value: must not be empty"
  refuse_settings '{"certKeyPairs":[{"cert":"--a","key":"--b"},{"cert":"TLS","key":"TLS"}]}' "certKeyPairs[1]" "name the same env var"
  refuse_settings '{"certKeyPairs":[{"cert":"--client-cert","key":"-client-cert"}]}' "certKeyPairs[0]" "one or two dashes are the same flag"
}

@test "settings: a value of the wrong JSON type is refused, naming the key" {
  refuse_settings '{"requireHttps":"true"}' "requireHttps" "expected a boolean"
  refuse_settings '{"certKeyPairs":{"cert":"a","key":"b"}}' "certKeyPairs" "expected a list"
  refuse_settings '{"metricsCertMountPath":42}' "metricsCertMountPath" "expected a string"
}

@test "requests: a clean object of every handled kind is accepted without a patch" {
  for f in pod deployment statefulset daemonset replicaset job cronjob servicemonitor podmonitor certificate; do
    evaluate "routing/${f}-clean.json"
    assert_allowed
    assert_no_patch
    assert_no_warnings
  done
}

@test "requests: DELETE is accepted untouched" {
  evaluate routing/servicemonitor-delete.json
  assert_allowed
  assert_no_patch
}

@test "requests: a kind the policy does not handle is accepted untouched (Kubebuilder's metrics Service)" {
  evaluate routing/service-kubebuilder-metrics-unhandled.json
  assert_allowed
  assert_no_patch
  assert_no_warnings
}

@test "requests: a ConfigMap that holds no Kueue Configuration is accepted untouched" {
  evaluate routing/configmap-not-kueue.json
  assert_allowed
  assert_no_patch
  assert_no_warnings
}

@test "requests: an UPDATE of an object being deleted is not blocked" {
  evaluate routing/servicemonitor-being-deleted.json
  assert_allowed
  assert_no_patch
}

@test "requests: a field of the wrong JSON type is rejected, naming the path and the type" {
  evaluate routing/deployment-type-mismatch.json
  assert_rejected
  assert_message_contains "Deployment demo/echo" "spec.template.spec.containers: Invalid type: expected list, got object"
}
