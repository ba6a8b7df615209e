#!/usr/bin/env bats
# Shells read to the end (SPEC 9 "Shells", 13 "Undefined names"): launchers
# before the shell, shell options, nested shells and eval, $'...', brace
# expansion, envFrom, and a script that cannot be read. Each class: the
# plaintext manifest rejected by W3 at the script's path, the loopback one
# accepted untouched.

load common

shell_rejected() {
  local fixture="$1"
  shift
  evaluate "workloads/$fixture"
  assert_rejected
  assert_no_patch
  assert_message_contains "spec.template.spec.containers[0].args[0]: Forbidden: " "$@" "[W3]"
}

shell_untouched() {
  evaluate "workloads/$1"
  assert_allowed
  assert_no_patch
  assert_no_warnings
}

@test "shells: tini -s -- env NAME=value sh -c: the launchers are skipped, the script read" {
  shell_rejected w3-tini-env-sh-c-kubebuilder-plaintext.json \
    "--metrics-bind-address=:8080 on every interface with --metrics-secure=false"
  shell_untouched w3-tini-env-sh-c-kubebuilder-loopback.json
}

@test "shells: bash --norc -o pipefail -ec, then a nested sh -c (OpenShift operators)" {
  shell_rejected w3-openshift-bash-c-nested-sh-plaintext.json \
    "--metrics-bind-address=:8080 on every interface with --metrics-secure=false"
  shell_untouched w3-openshift-bash-c-nested-sh-loopback.json
}

@test "shells: eval \"exec /manager \$MANAGER_FLAGS\" reads the flags from env" {
  shell_rejected w3-eval-flags-env-kubebuilder-plaintext.json \
    "--metrics-bind-address=:8080 on every interface with --metrics-secure=false"
  shell_untouched w3-eval-flags-env-kubebuilder-loopback.json
}

@test "shells: \$'--metrics-secure\\x3dfalse' is decoded in bash" {
  shell_rejected w3-ansi-c-quoting-bash-c-kubebuilder-plaintext.json \
    "--metrics-bind-address=:8080 on every interface with --metrics-secure=false"
  shell_untouched w3-ansi-c-quoting-bash-c-kubebuilder-loopback.json
}

@test "shells: --metrics-{secure=false,bind-address=:8080} is brace-expanded in bash" {
  shell_rejected w3-brace-expansion-bash-c-kubebuilder-plaintext.json \
    "--metrics-bind-address=:8080 on every interface with --metrics-secure=false"
  shell_untouched w3-brace-expansion-bash-c-kubebuilder-loopback.json
}

@test "shells: an unquoted \$VAR of a container with envFrom is unknown" {
  shell_rejected w3-sh-c-envfrom-kubebuilder-plaintext.json \
    'it reads $(METRICS_BIND_ADDRESS), whose value is not in the object' "--metrics-secure=false"
  shell_untouched w3-sh-c-envfrom-kubebuilder-loopback.json
}

@test "shells: a script that cannot be read and names a W3 flag fails closed, with the warning" {
  shell_rejected w3-helm-sh-c-unbalanced-quote.json \
    "it reads a shell script that cannot be read (an unbalanced quote)"
  assert_warning_contains "[invalid] spec.template.spec.containers[0].args[0]: the shell script is not read: it has an unbalanced quote"
  shell_untouched w3-helm-sh-c-kubebuilder-loopback.json
}

@test "shells: a script that exports METRICS_SECURE leaves its value unknown to the binary's env reading (OpenTelemetry operator)" {
  evaluate workloads/w3-opentelemetry-operator-sh-c-export-metrics-secure.json
  assert_rejected
  assert_no_patch
  assert_message_contains "spec.template.spec.containers[0].env[1].value: Forbidden: env METRICS_ADDR=:8443 on every interface" \
    "env METRICS_SECURE=(set by the shell script)" "[W3]"
  shell_untouched w3-opentelemetry-operator-sh-c-export-metrics-secure-loopback.json
}

@test "shells: a script that assigns IFS or defines an alias is not read, and fails closed on the W3 flags it names" {
  local ifs="${BATS_TEST_TMPDIR}/ifs.json"
  jq '.object.spec.template.spec.containers[0].args[0] |= "IFS=,; " + .' \
    "${TEST_DATA}/workloads/w3-helm-sh-c-kubebuilder-loopback.json" >"$ifs"
  evaluate "$ifs"
  assert_rejected
  assert_message_contains "it reads a shell script that cannot be read (it assigns IFS)" "[W3]"
  assert_warning_contains "[invalid] spec.template.spec.containers[0].args[0]: the shell script is not read: it assigns IFS"
  # `IFS= read -r` splits only its own words: the script is read.
  jq '.object.spec.template.spec.containers[0].args[0] |= "while IFS= read -r l; do :; done < /etc/hosts\n" + .' \
    "${TEST_DATA}/workloads/w3-helm-sh-c-kubebuilder-loopback.json" >"$ifs"
  evaluate "$ifs"
  assert_allowed
  assert_no_warnings
}

@test "shells: a script variable that holds the flags (A='--metrics-secure=false ...'; exec /manager \$A) names them, and fails closed" {
  shell_rejected w3-sh-c-script-variable-flags-kubebuilder-plaintext.json \
    '"$(A)", which reads $(A) that the policy cannot see'
  shell_untouched w3-sh-c-script-variable-flags-kubebuilder-loopback.json
}

@test "shells: an unquoted unknown value may split into more flags (--metrics-secure=\$FLAG), quoted it may not" {
  shell_rejected w3-sh-c-unquoted-unknown-split-kubebuilder-plaintext.json \
    '"$(METRICS_SECURE_FLAG)", which reads $(METRICS_SECURE_FLAG) that the policy cannot see'
  shell_untouched w3-sh-c-unquoted-unknown-split-kubebuilder-quoted.json
}
