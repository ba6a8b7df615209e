#!/usr/bin/env bats
# Injection of the metrics-certificate mount (SPEC sections 6 and 7): on
# each workload kind, the patch adds the volume, the read-only mount and (for
# X3) the --metrics-cert-path flag, says so in a warning, keeps every other
# field, and the policy applied to its own output changes nothing. Conflicts,
# the opt-in annotation and `injectMetricsCertMount: false` are rejections.

load common

MDIR=/tmp/k8s-metrics-server/metrics-certs
NO_INJECT='{"injectMetricsCertMount":false}'

# The patch adds the metrics-certs volume from the metrics Secret.
NEW_VOLUME='any(.[]; .op == "add" and (.path | test("/volumes(/[0-9]+)?$")) and ((.value | if type == "array" then .[0] else . end) == {"name":"metrics-certs","secret":{"secretName":"metrics-server-cert","optional":false}}))'

# mount_added PATH_PREFIX DIR VOLUME: the patch adds a read-only mount.
mount_added() {
  assert_patch "any(.[]; .op == \"add\" and (.path | startswith(\"$1/volumeMounts\")) and ((.value | if type == \"array\" then .[0] else . end) == {\"name\":\"$3\",\"mountPath\":\"$2\",\"readOnly\":true}))"
}

# flag_added PATH_PREFIX DIR: the patch appends --metrics-cert-path=DIR to args.
flag_added() {
  assert_patch "any(.[]; .op == \"add\" and (.path | startswith(\"$1/args\")) and ((.value | if type == \"array\" then .[-1] else . end) == \"--metrics-cert-path=$2\"))"
}

only_adds() {
  assert_patch 'all(.[]; .op == "add")'
}

idempotent() {
  second_pass
  assert_allowed
  assert_no_patch
  assert_no_warnings
}

# ------------------------------------------------------------------ kinds

@test "inject: Deployment with webhooks from cert-manager gets the metrics certificate (X3)" {
  evaluate workloads/kubebuilder-webhooks-without-metrics-cert.json
  assert_allowed
  only_adds
  assert_patch "$NEW_VOLUME"
  mount_added /spec/template/spec/containers/0 "$MDIR" metrics-certs
  flag_added /spec/template/spec/containers/0 "$MDIR"
  assert_warning_contains 'spec.template.spec.containers[0]: injected volume "metrics-certs" from Secret "metrics-server-cert"'
  # The warning is cut to the API server's 256 characters (README, "Rolling out"); the rest of its words are in the unit tests and the README section.
  assert_warning_contains "(README#x3-external-webhooks-internal-metrics)"
  assert_warning_contains "[X3] spec.template.spec.containers[0]: injected"
  [ "$(field '.warnings[0] | length')" -le 256 ] || { echo "a warning over 256 characters: $output" >&2; return 1; }
  patched_object | jq -e --arg d "$MDIR" '.spec.template.spec as $s
    | $s.containers[0].args == ["--metrics-bind-address=:8443", "--leader-elect", "--health-probe-bind-address=:8081",
        "--webhook-cert-path=/tmp/k8s-webhook-server/serving-certs", "--metrics-cert-path=\($d)"]
    and $s.containers[0].command == ["/manager"]
    and $s.containers[0].volumeMounts[1] == {"name":"metrics-certs","mountPath":$d,"readOnly":true}
    and ($s.volumes | map(.name)) == ["webhook-certs", "metrics-certs"]'
  idempotent
}

@test "inject: StatefulSet naming an unmounted --metrics-cert-path gets the mount there (W5)" {
  evaluate workloads/inject-statefulset.json
  assert_allowed
  only_adds
  assert_patch "$NEW_VOLUME"
  mount_added /spec/template/spec/containers/0 /etc/metrics-certs metrics-certs
  assert_patch 'all(.[]; (.path | contains("/args")) | not)'
  assert_warning_contains '[W5] spec.template.spec.containers[0]: injected'
  assert_warning_contains 'must exist in the namespace before the pod can start'
  assert_warning_contains '(README#w5-certificate-files-not-mounted)'
  patched_object | jq -e '.spec.template.spec.containers[0].volumeMounts == [
      {"name":"data","mountPath":"/var/lib/gateway"},
      {"name":"metrics-certs","mountPath":"/etc/metrics-certs","readOnly":true}]
    and .spec.volumeClaimTemplates[0].metadata.name == "data"'
  idempotent
}

@test "inject: DaemonSet with flags in command, certManagement external, no evidence for --metrics-cert-path (X3)" {
  evaluate workloads/inject-daemonset.json '{"certManagement":"external"}'
  assert_rejected
  assert_no_patch
  assert_message_contains "spec.template.spec.containers[0]: Required value: container \"agent\" serves secure metrics" \
    "while certManagement is external" "--metrics-cert-path=$MDIR" "[X3]"
}

@test "inject: DaemonSet opting in by annotation, certManagement external, flags in command (X3)" {
  annotated="${BATS_TEST_TMPDIR}/annotated.json"
  jq '.object.spec.template.metadata.annotations["secure-metrics/inject-metrics-certs"] = "true"' \
    "${TEST_DATA}/workloads/inject-daemonset.json" > "$annotated"
  evaluate "$annotated" '{"certManagement":"external"}'
  assert_allowed
  only_adds
  assert_patch "$NEW_VOLUME"
  mount_added /spec/template/spec/containers/0 "$MDIR" metrics-certs
  flag_added /spec/template/spec/containers/0 "$MDIR"
  assert_warning_contains "(README#x3-external-webhooks-internal-metrics)"
  patched_object | jq -e --arg d "$MDIR" '.spec.template.spec.containers[0] as $c
    | $c.command == ["/agent", "--metrics-bind-address=:8443", "--health-probe-bind-address=:8081"]
    and $c.args == ["--metrics-cert-path=\($d)"]
    and ($c.volumeMounts | length) == 2'
  idempotent
}

@test "inject: DaemonSet in auto mode without webhook certificates is accepted untouched" {
  evaluate workloads/inject-daemonset.json
  assert_allowed
  assert_no_patch
  assert_no_warnings
}

@test "inject: CronJob opting in by annotation gets the mount in the annotated container" {
  evaluate workloads/inject-cronjob.json
  assert_allowed
  only_adds
  assert_patch "$NEW_VOLUME"
  mount_added /spec/jobTemplate/spec/template/spec/containers/0 "$MDIR" metrics-certs
  assert_patch 'all(.[]; (.path | contains("/args")) | not)'
  assert_warning_contains 'spec.jobTemplate.spec.template.spec.containers[0]: injected'
  assert_warning_contains '(README#x3-external-webhooks-internal-metrics)'
  patched_object | jq -e '.spec.jobTemplate.spec.template.spec as $s
    | ($s.containers[1] | has("volumeMounts") | not) and $s.restartPolicy == "OnFailure"
    and .spec.schedule == "0 * * * *"'
  idempotent
}

@test "inject: Knative env naming unmounted files gets one mount at their directory (W5)" {
  evaluate workloads/w5-knative-tls-env-not-mounted.json
  assert_allowed
  mount_added /spec/template/spec/containers/0 /etc/metrics-tls metrics-certs
  assert_patch '[.[] | select(.path | contains("volumeMounts"))] | length == 1'
  assert_warning_contains "[W5] spec.template.spec.containers[0]: injected"
  assert_warning_contains "must exist in the namespace before the pod can start"
  idempotent
}

# ------------------------------------------------------------------ what is kept

@test "inject: fields unknown to Kubernetes are kept exactly" {
  evaluate workloads/inject-unknown-fields.json
  assert_allowed
  only_adds
  patched_object | jq -e '.spec.template.spec.futureField == {"enabled": true, "mode": "strict", "limits": [1, 2, 3]}
    and .spec.template.spec.containers[0]["x-vendor-ext"] == {"tier": "gold", "owners": ["team-a", "team-b"], "ratio": 0.25}
    and .spec.template.spec.containers[0].resizePolicy == [{"resourceName": "cpu", "restartPolicy": "NotRequired"}]
    and .metadata["x-unknown-metadata"] == "kept"'
  # Everything but the three injected values is the request's object.
  diff <(jq -S '.object
          | .spec.template.spec.volumes += [{"name":"metrics-certs","secret":{"secretName":"metrics-server-cert","optional":false}}]
          | .spec.template.spec.containers[0].volumeMounts += [{"name":"metrics-certs","mountPath":"/tmp/k8s-metrics-server/metrics-certs","readOnly":true}]
          | .spec.template.spec.containers[0].args += ["--metrics-cert-path=/tmp/k8s-metrics-server/metrics-certs"]' \
          "$TEST_DATA/workloads/inject-unknown-fields.json") \
       <(patched_object | jq -S .)
  idempotent
}

@test "inject: an existing volume of the metrics Secret is reused before the name conflict counts" {
  evaluate workloads/inject-reuse-secret-volume.json
  assert_allowed
  mount_added /spec/template/spec/containers/0 "$MDIR" cert-manager-metrics
  assert_patch 'all(.[]; (.path | contains("/volumes")) | not)'
  assert_warning_contains 'injected a read-only mount of volume "cert-manager-metrics"'
  idempotent
}

@test "inject: X3 with the metrics Secret already mounted only appends the flag" {
  evaluate workloads/x3-metrics-secret-mounted-without-flag.json
  assert_allowed
  assert_patch 'length == 1'
  flag_added /spec/template/spec/containers/0 /etc/metrics-certs
  assert_warning_contains 'injected --metrics-cert-path=/etc/metrics-certs into the args of container'
  idempotent
}

# ------------------------------------------------------------------ conflicts

@test "inject: a volume of the configured name with another source is a rejection" {
  evaluate workloads/inject-volume-name-conflict.json
  assert_rejected
  assert_no_patch
  [ "$(violation_count)" -eq 1 ]
  assert_message_contains 'spec.template.spec.volumes[1]: Conflicting fields: volume "metrics-certs" already exists with source configMap' \
    "never overwrites it" "metricsCertVolumeName" "[X3]"
}

@test "inject: another volume mounted at the directory is a rejection" {
  evaluate workloads/inject-mount-path-conflict.json
  assert_rejected
  assert_no_patch
  assert_message_contains "spec.template.spec.containers[0].volumeMounts[1]: Conflicting fields: volume \"scratch\" (emptyDir) is already mounted at $MDIR" \
    "never replaces a mount" "[X3]"
}

# ------------------------------------------------------------------ opt-in

@test "inject: opt-in annotation, the pod template's secure-metrics/container wins" {
  evaluate workloads/inject-opt-in-annotation.json
  assert_allowed
  mount_added /spec/template/spec/containers/0 "$MDIR" metrics-certs
  assert_patch 'all(.[]; (.path | contains("containers/1")) | not)'
  assert_warning_contains '(README#x3-external-webhooks-internal-metrics)'
  idempotent
}

@test "inject: secure-metrics/container naming no container is a rejection" {
  evaluate workloads/inject-opt-in-unknown-container.json
  assert_rejected
  [ "$(violation_count)" -eq 1 ]
  assert_message_contains 'spec.template.metadata.annotations[secure-metrics/container]: Invalid value: names container "exporter-v2", but the pod has no such container (it has "exporter", "sidecar")' "[invalid]"
}

@test "inject: the opt-in annotation with injectMetricsCertMount false is a rejection" {
  evaluate workloads/inject-cronjob.json "$NO_INJECT"
  assert_rejected
  assert_no_patch
  assert_message_contains 'spec.jobTemplate.spec.template.metadata.annotations[secure-metrics/inject-metrics-certs]: Forbidden' \
    "injectMetricsCertMount: false" "[invalid]"
}

# ------------------------------------------------------------------ injection off

@test "inject: with injectMetricsCertMount false a W5 finding is a rejection" {
  evaluate workloads/w5-metrics-cert-path-not-mounted.json "$NO_INJECT"
  assert_rejected
  assert_no_patch
  assert_message_contains "spec.template.spec.containers[0].args[3]: Required value: --metrics-cert-path names $MDIR" \
    "mount Secret \"metrics-server-cert\" read-only at $MDIR" "injectMetricsCertMount: true" "[W5]"
}

@test "inject: with injectMetricsCertMount false an X3 finding is a rejection" {
  evaluate workloads/kubebuilder-webhooks-without-metrics-cert.json "$NO_INJECT"
  assert_rejected
  assert_no_patch
  assert_message_contains "spec.template.spec.containers[0]: Required value: container \"manager\" serves secure metrics" \
    "add --metrics-cert-path=$MDIR to its args" "[X3]"
}
