#!/usr/bin/env bats
# Workloads: ephemeral containers (kubectl debug), W3 on addresses it cannot
# place, and W3 on a hostNetwork pod's loopback (README: "W3", "Ephemeral
# containers").

load common

# ------------------------------------------------------------------ ephemeral containers

@test "ephemeral: kubectl debug adding a manager with plaintext metrics on every interface is rejected" {
  evaluate workloads/ephemeral-kubectl-debug-manager-plaintext.json
  assert_rejected
  assert_no_patch
  [ "$(violation_count)" -eq 1 ]
  assert_message_contains "Pod guestbook-system/guestbook-controller-manager-7d4b9c-x2x7q" \
    "spec.ephemeralContainers[0].command[1]: Forbidden: --metrics-bind-address=:8082 on every interface with --metrics-secure=false serves metrics in plaintext" \
    "[W3]"
}

@test "ephemeral: kubectl debug adding a busybox shell is accepted untouched" {
  evaluate workloads/ephemeral-kubectl-debug-busybox.json
  assert_allowed
  assert_no_patch
}

@test "ephemeral: the audit scanner's replay of a debugged Pod reports, never repairs, the ephemeral container" {
  evaluate workloads/ephemeral-audit-debugged-pod-cert-path-not-mounted.json
  assert_rejected
  assert_no_patch
  assert_message_contains \
    "spec.ephemeralContainers[0].command[2]: Required value: --metrics-cert-path names /tmp/k8s-metrics-server/metrics-certs" \
    "container \"debugger-q9w4z\" is an ephemeral container (kubectl debug), which nothing may change once it is added, so the policy does not repair it" \
    "[W5]"
}

# ------------------------------------------------------------------ W3: addresses it cannot place

@test "W3: a named port (:http) counts as every interface, beside W4" {
  evaluate workloads/w3-kubebuilder-named-port-plaintext.json
  assert_rejected
  [ "$(violation_count)" -eq 2 ]
  assert_message_contains \
    "spec.template.spec.containers[0].args[0]: Forbidden: --metrics-bind-address=:http on an address the policy cannot place" \
    "so counted as every interface with --metrics-secure=false" "[W3]" "[W4]"
}

@test "W3: an exception for W4 does not switch W3 off" {
  evaluate workloads/w3-kubebuilder-named-port-plaintext.json \
    '{"exceptions":[{"rules":["W4"],"namespaces":["guestbook-system"],"reason":"the base image resolves named ports"}]}'
  assert_rejected
  [ "$(violation_count)" -eq 1 ]
  assert_message_contains "cannot place" "[W3]"
  assert_message_lacks "[W4]"
  assert_warning_contains "[W4] excepted"
}

@test "W3: the same manager serving TLS is accepted with the excepted W4 warning" {
  evaluate workloads/w3-kubebuilder-named-port-secure.json \
    '{"exceptions":[{"rules":["W4"],"namespaces":["guestbook-system"],"reason":"the base image resolves named ports"}]}'
  assert_allowed
  assert_no_patch
  assert_warning_contains "[W4] excepted"
}

# ------------------------------------------------------------------ W3: hostNetwork

@test "W3: hostNetwork DaemonSet serving plaintext metrics on the node's loopback is rejected" {
  evaluate workloads/w3-host-network-node-exporter-style-loopback-plaintext.json
  assert_rejected
  [ "$(violation_count)" -eq 1 ]
  assert_message_contains "DaemonSet monitoring/node-agent" \
    "spec.template.spec.containers[0].args[0]: Forbidden: --metrics-bind-address=127.0.0.1:8080 on the node's loopback (because the pod sets hostNetwork: true: every process on the node can reach it)" \
    "without hostNetwork: true" "[W3]"
}

@test "W3: hostNetwork DaemonSet serving TLS metrics on loopback is accepted untouched" {
  evaluate workloads/w3-host-network-node-exporter-style-loopback-secure.json
  assert_allowed
  assert_no_patch
}

@test "W3: an exception for W3 admits the hostNetwork loopback server with a warning" {
  evaluate workloads/w3-host-network-node-exporter-style-loopback-plaintext.json \
    '{"exceptions":[{"rules":["W3"],"namespaces":["monitoring"],"names":["node-agent"],"reason":"node-local scrape only"}]}'
  assert_allowed
  assert_warning_contains "[W3] excepted"
}
