#!/usr/bin/env bats
# Workload rules W1-W4 (SPEC section 5): certificate/key pairs set by halves,
# the METRICS_PROMETHEUS_TLS_* env of Knative, plaintext metrics on public
# addresses, and listen/bind address syntax. Each rule: a rejection whose
# message names the field path, and the fixed manifest accepted untouched.

load common

CUSTOM_PAIRS='{"certKeyPairs":[{"cert":"--client-cert","key":"--client-key"},{"cert":"GRPC_TLS_CERT","key":"GRPC_TLS_KEY"}]}'

# ------------------------------------------------------------------ W1

@test "W1: kube-rbac-proxy with a certificate and no key is rejected" {
  evaluate workloads/w1-kube-rbac-proxy-half-pair.json
  assert_rejected
  assert_message_contains "Deployment memcached-operator-system/memcached-operator-controller-manager" \
    "spec.template.spec.containers[0].args[4]: Required value: flag --tls-cert-file is set but flag --tls-private-key-file is not" \
    "set both or neither [W1]"
  [ "$(violation_count)" -eq 1 ]
}

@test "W1: kube-rbac-proxy with certificate and key is accepted untouched" {
  evaluate workloads/w1-kube-rbac-proxy-pair.json
  assert_allowed
  assert_no_patch
}

@test "W1: an etcd static Pod with --cert-file and no --key-file is rejected" {
  evaluate workloads/w1-etcd-half-pair.json
  assert_rejected
  assert_message_contains "spec.containers[0].command[7]" "flag --cert-file is set but flag --key-file is not" "[W1]"
}

@test "W1: an etcd static Pod with --cert-file and --key-file is accepted untouched" {
  evaluate workloads/w1-etcd-pair.json
  assert_allowed
  assert_no_patch
}

@test "W1: certKeyPairs halves (a flag and an env var) in a DaemonSet are rejected" {
  evaluate workloads/w1-custom-pairs-half.json "$CUSTOM_PAIRS"
  assert_rejected
  [ "$(violation_count)" -eq 2 ]
  assert_message_contains \
    "spec.template.spec.containers[0].args[2]: Required value: flag --client-cert is set but flag --client-key is not" \
    "spec.template.spec.containers[0].env[1]: Required value: env GRPC_TLS_KEY is set but env GRPC_TLS_CERT is not"
}

@test "W1: certKeyPairs complete is accepted; without the setting the halves are not checked" {
  evaluate workloads/w1-custom-pairs.json "$CUSTOM_PAIRS"
  assert_allowed
  assert_no_patch
  evaluate workloads/w1-custom-pairs-half.json
  assert_allowed
  assert_no_patch
}

# ------------------------------------------------------------------ W2

@test "W2: Knative activator with bad METRICS_PROMETHEUS_TLS_* values lists every problem" {
  evaluate workloads/w2-knative-activator-mtls-bad.json
  assert_rejected
  [ "$(violation_count)" -eq 4 ]
  assert_message_contains "Deployment knative-serving/activator has 4 problems:" \
    'spec.template.spec.containers[0].env[8].value: Invalid value: METRICS_PROMETHEUS_TLS_CLIENT_AUTH is "required"; accepted values: none, optional, require [W2]' \
    'spec.template.spec.containers[0].env[9].value: Invalid value: METRICS_PROMETHEUS_TLS_MIN_VERSION is "1.1"; accepted values: 1.2, 1.3 [W2]' \
    'spec.template.spec.containers[0].env[11].value: Invalid value: METRICS_PROMETHEUS_TLS_CURVE_PREFERENCES has unknown curves "secp256r1"' \
    "spec.template.spec.containers[0].env[12].value: Invalid value: METRICS_PROMETHEUS_TLS_CIPHER_SUITES: TLS_RSA_WITH_AES_128_CBC_SHA is insecure"
}

@test "W2: Knative activator with mTLS configured is accepted untouched" {
  evaluate workloads/w2-knative-activator-mtls.json
  assert_allowed
  assert_no_patch
}

@test "W2: a client CA without client auth and without a TLS server is rejected" {
  evaluate workloads/w2-knative-controller-ca-without-auth.json
  assert_rejected
  [ "$(violation_count)" -eq 2 ]
  assert_message_contains \
    "spec.template.spec.containers[0].env[5].value: Invalid value: METRICS_PROMETHEUS_TLS_CLIENT_CA_FILE is set but METRICS_PROMETHEUS_TLS_CLIENT_AUTH is not set, so the CA is never loaded" \
    "spec.template.spec.containers[0].env[5].value: Required value: METRICS_PROMETHEUS_TLS_CLIENT_CA_FILE configures client certificate verification, which needs a TLS server"
}

@test "W1 and W2: client auth with a certificate and no key names both rules" {
  evaluate workloads/w2-knative-controller-half-pair.json
  assert_rejected
  [ "$(violation_count)" -eq 2 ]
  assert_message_contains \
    "spec.template.spec.containers[0].env[5]: Required value: env METRICS_PROMETHEUS_TLS_CERT is set but env METRICS_PROMETHEUS_TLS_KEY is not" \
    "spec.template.spec.containers[0].env[6].value: Required value: METRICS_PROMETHEUS_TLS_CLIENT_AUTH and METRICS_PROMETHEUS_TLS_CLIENT_CA_FILE configure client certificate verification" \
    "[W1]" "[W2]"
}

# ------------------------------------------------------------------ W3

@test "W3: Kubebuilder manager serving plaintext metrics on :8080 is rejected" {
  evaluate workloads/w3-kubebuilder-metrics-plaintext.json
  assert_rejected
  [ "$(violation_count)" -eq 1 ]
  assert_message_contains \
    "spec.template.spec.containers[0].args[0]: Forbidden: --metrics-bind-address=:8080 on every interface with --metrics-secure=false serves metrics in plaintext and without authentication" \
    "kube-rbac-proxy" "[W3]"
}

@test "W3: Kubebuilder manager serving plaintext metrics on 127.0.0.1 is accepted untouched" {
  evaluate workloads/w3-kubebuilder-metrics-loopback.json
  assert_allowed
  assert_no_patch
}

@test "W3: Cluster API manager with --insecure-diagnostics=true on :8443 is rejected" {
  evaluate workloads/w3-capi-insecure-diagnostics.json
  assert_rejected
  [ "$(violation_count)" -eq 1 ]
  assert_message_contains "Deployment capi-system/capi-controller-manager" \
    "spec.template.spec.containers[0].args[1]: Forbidden: --insecure-diagnostics=true with --diagnostics-address=:8443 on every interface serves the diagnostics endpoint" \
    "--insecure-diagnostics=false" "[W3]"
}

@test "W3: Cluster API manager with --insecure-diagnostics=false is accepted untouched" {
  evaluate workloads/w3-capi-diagnostics.json
  assert_allowed
  assert_no_patch
}

# ------------------------------------------------------------------ W3: the command line as kubelet and binary read it (SPEC 9)

# w3_rejected FIXTURE PATH TEXT...: rejected with one W3 at PATH naming TEXT.
w3_rejected() {
  local fixture="$1" path="$2"
  shift 2
  evaluate "workloads/$fixture"
  assert_rejected
  assert_no_patch
  assert_message_contains "spec.template.spec.containers[0].$path: Forbidden: " "$@" "[W3]"
}

w3_untouched() {
  evaluate "workloads/$1"
  assert_allowed
  assert_no_patch
  assert_no_warnings
}

@test "W3: tini -- /manager: a wrapper's -- does not end the flags" {
  w3_rejected w3-tini-wrapper-kubebuilder-plaintext.json 'args[1]' "--metrics-bind-address=:8080 on every interface"
  w3_untouched w3-tini-wrapper-kubebuilder-loopback.json
}

@test "W3: dumb-init -- /manager: a wrapper's -- does not end the flags" {
  w3_rejected w3-dumb-init-wrapper-kubebuilder-plaintext.json 'args[1]' "--metrics-bind-address=:8080 on every interface"
  w3_untouched w3-dumb-init-wrapper-kubebuilder-loopback.json
}

@test "W3: a Helm chart starting the manager with sh -c is read through the script" {
  w3_rejected w3-helm-sh-c-kubebuilder-plaintext.json 'args[0]' "--metrics-bind-address=0.0.0.0:8080 on every interface" "--metrics-secure=false"
  w3_untouched w3-helm-sh-c-kubebuilder-loopback.json
}

@test "W3: a script that cannot be split is not read: a warning, and W3 fails closed on the flags it names" {
  w3_rejected w3-helm-sh-c-unbalanced-quote.json 'args[0]' "a shell script that cannot be read"
  assert_warning_contains "[invalid] spec.template.spec.containers[0].args[0]: the shell script is not read: it has an unbalanced quote"
}

@test "W3: --metrics-bind-address=\$(POD_IP):8080 from the downward API is a pod IP, not loopback" {
  w3_rejected w3-downward-api-pod-ip-kubebuilder-plaintext.json 'args[0]' "--metrics-bind-address=\$(POD_IP):8080 on the pod's IP (from \$(POD_IP))"
  w3_untouched w3-downward-api-pod-ip-kubebuilder-secure.json
}

@test "W3: \$(EXTRA_FLAGS) from a ConfigMap may hold --metrics-secure=false: rejected, naming the variable" {
  w3_rejected w3-extra-flags-configmap-kubebuilder.json 'args[0]' "--metrics-bind-address=:8443 on every interface" \
    '"$(EXTRA_FLAGS)" (it reads $(EXTRA_FLAGS), which the policy cannot see, and may set --metrics-secure=false)'
  w3_untouched w3-extra-flags-literal-kubebuilder.json
}

@test "W3: a value flag without = takes the next argument" {
  w3_rejected w3-value-flag-without-equals-kubebuilder.json 'args[1]' "--metrics-bind-address=:8080 on every interface"
}

@test "W3: flags after a positional argument are read (pflag reads on)" {
  w3_rejected w3-flags-after-positional-kubebuilder.json 'args[1]' "--metrics-bind-address=:8080 on every interface"
  w3_untouched w3-flags-after-positional-kubebuilder-loopback.json
}

@test "W3: an empty --metrics-bind-address (a Helm value left empty) is every interface: controller-runtime serves \"\" on :8080" {
  w3_rejected w3-kubebuilder-helm-empty-metrics-address-plaintext.json 'args[0]' \
    "--metrics-bind-address= (an empty address: controller-runtime's metrics server then listens on its default :8080, every interface) with --metrics-secure=false"
  w3_untouched w3-kubebuilder-helm-empty-metrics-address-loopback.json
}

@test "W3: with metricsSecureDefault false, --metrics-secure after a subcommand is unset for Go's flag package" {
  evaluate workloads/w3-redis-operator-secure-after-subcommand-plaintext.json '{"metricsSecureDefault": false}'
  assert_rejected
  assert_no_patch
  assert_message_contains "spec.template.spec.containers[0].args[0]: Forbidden: --metrics-bind-address=:8443 on every interface with --metrics-secure=true only after a positional argument or \"--\", where Go's flag package stops reading flags" \
    "metricsSecureDefault: false" "pass --metrics-secure=true before the first positional argument" "[W3]"
  evaluate workloads/w3-redis-operator-secure-after-subcommand-plaintext.json
  assert_allowed
  assert_no_patch
  evaluate workloads/w3-redis-operator-secure-after-subcommand-fixed.json '{"metricsSecureDefault": false}'
  assert_allowed
  assert_no_patch
}

# ------------------------------------------------------------------ W4

@test "W4: kube-scheduler with a port in --bind-address is rejected" {
  evaluate workloads/w4-kube-scheduler-bind-address-port.json
  assert_rejected
  [ "$(violation_count)" -eq 1 ]
  assert_message_contains "Pod kube-system/kube-scheduler-control-plane" \
    'spec.containers[0].command[3]: Invalid value: --bind-address "127.0.0.1:10259" is not an IP address' \
    "it takes no port" "[W4]"
}

@test "W4: kube-scheduler with --bind-address=127.0.0.1 is accepted untouched" {
  evaluate workloads/w4-kube-scheduler.json
  assert_allowed
  assert_no_patch
}

@test "W4: a CronJob with an out-of-range port and a port without colon is rejected" {
  evaluate workloads/w4-cronjob-listen-addresses.json
  assert_rejected
  [ "$(violation_count)" -eq 2 ]
  assert_message_contains \
    'spec.jobTemplate.spec.template.spec.containers[0].args[1]: Invalid value: --metrics-bind-address ":99999" is not a listen address: the port 99999 is above 65535' \
    'spec.jobTemplate.spec.template.spec.containers[0].args[2]: Invalid value: --health-probe-bind-address "8081" is not a listen address' \
    'write ":8081"'
}

@test "W4: a CronJob with metrics off and a valid probe address is accepted untouched" {
  evaluate workloads/w4-cronjob.json
  assert_allowed
  assert_no_patch
}
