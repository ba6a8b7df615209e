#!/usr/bin/env bats
# X4 on the ConfigMaps of KEP-4377's family (SPEC sections 12, 13 and 15): the
# file read as go-yaml v2 reads it (libyaml's scanner, merge keys, the last of repeated keys,
# YAML 1.1 booleans, every document, escapes, binaryData), bounded, failing
# closed on what it cannot read. Fixtures shaped on Kueue's, JobSet's and
# LeaderWorkerSet's config/components/manager/controller_manager_config.yaml.

load common

SESSIONS="${TEST_DATA}/cross-object/sessions"
EXTERNAL='{"certManagement":"external"}'
INTERNAL='{"certManagement":"internal"}'
DATA='data[controller_manager_config.yaml]'

setup_file() {
  if [ "$(basename "$KWCTL")" != "policy-host" ]; then
    "$KWCTL" annotate -m "${REPO_ROOT}/policy-metadata.yml" -u "${REPO_ROOT}/README.md" \
      -o "${BATS_FILE_TMPDIR}/annotated.wasm" "$POLICY"
    export POLICY="${BATS_FILE_TMPDIR}/annotated.wasm"
  fi
}

# x4 CASE [SETTINGS_JSON]: evaluates test_data/cross-object/x4-CASE.json.
x4() {
  evaluate "cross-object/x4-$1.json" "${2:-$EXTERNAL}"
}

@test "X4: a YAML alias bomb in a Kueue ConfigMap fails closed at once; without it the file is accepted" {
  SECONDS=0
  x4 kueue-manager-config-alias-bomb
  [ "$SECONDS" -lt 10 ]
  assert_rejected
  assert_message_contains "${DATA}: Invalid value:" "Kueue Configuration" "excessive aliasing" "[X4]"
  x4 kueue-manager-config-alias-bomb-fixed
  assert_allowed
  assert_no_warnings
}

@test "X4 auto: an unreadable Kueue Configuration next to a metrics Certificate fails closed" {
  evaluate cross-object/x4-kueue-manager-config-alias-bomb.json '{"crossObjectChecks":true,"metricsCertSecretName":["metrics-server-cert","*-metrics-server-cert"]}' \
    --allow-context-aware --replay-host-capabilities-interactions "${SESSIONS}/kueue-certificates.yml"
  assert_rejected
  assert_message_contains "${DATA}: Invalid value:" "excessive aliasing" "KEP-4377" "[X4]"
}

@test "X4: a merge key after enable: false sets it true, as go-yaml v2 applies it; before it, false wins" {
  x4 kueue-manager-config-merge-key-enables
  assert_rejected
  assert_message_contains "${DATA}: Invalid value:" "Kueue would serve self-signed" "[X4]"
  x4 kueue-manager-config-merge-key-fixed
  assert_allowed
}

@test "X4: the last of repeated enable keys wins" {
  x4 kueue-manager-config-last-key-wins
  assert_rejected
  assert_message_contains "${DATA}: Invalid value:" "enable true" "[X4]"
  x4 kueue-manager-config-last-key-fixed
  assert_allowed
}

@test "X4: a flow list closed at its key's indentation is read as go-yaml (libyaml's scanner) reads it, not refused" {
  x4 kueue-manager-config-flow-list-enables
  assert_rejected
  assert_message_contains "${DATA}: Invalid value:" "Kueue would serve self-signed" "[X4]"
  x4 kueue-manager-config-flow-list-fixed
  assert_allowed
  assert_no_warnings
}

@test "X4: !!bool no is false (rejected in internal mode, accepted in external); !!bool yes is true" {
  x4 kueue-manager-config-bool-tag-no "$INTERNAL"
  assert_rejected
  assert_message_contains "${DATA}: Invalid value:" "enable false" "[X4]"
  x4 kueue-manager-config-bool-tag-no
  assert_allowed
  x4 kueue-manager-config-bool-tag-yes "$INTERNAL"
  assert_allowed
}

@test "X4: a quoted \"false\" is a string, which Kueue's decoder refuses for a boolean (type)" {
  x4 kueue-manager-config-quoted-false
  assert_rejected
  assert_message_contains "${DATA}: Invalid type:" "expected boolean, got string" "[type]"
  evaluate cross-object/kueue-manager-config-cert-manager.json "$EXTERNAL"
  assert_allowed
}

@test "X4: a broken later document does not hide the Configuration before it" {
  x4 kueue-manager-config-broken-second-document
  assert_rejected
  assert_message_contains "${DATA}: Invalid value:" "Kueue would serve self-signed" "[X4]"
  x4 kueue-manager-config-broken-second-document-fixed
  assert_allowed
}

@test "X4: apiVersion and kind spelled with double-quoted escapes are read" {
  x4 kueue-manager-config-escaped-api-version
  assert_rejected
  assert_message_contains "${DATA}: Invalid value:" "Kueue would serve self-signed" "[X4]"
  x4 kueue-manager-config-escaped-api-version-fixed
  assert_allowed
}

@test "X4: a Configuration in binaryData (base64) is read, at binaryData[<key>]" {
  x4 kueue-manager-config-binary-data
  assert_rejected
  assert_message_contains "binaryData[controller_manager_config.yaml]: Invalid value:" "Kueue would serve self-signed" "[X4]"
  x4 kueue-manager-config-binary-data-fixed
  assert_allowed
}

@test "X4 JobSet: internal certificate management is rejected in external mode; enable: false is accepted" {
  x4 jobset-manager-config
  assert_rejected
  assert_message_contains "${DATA}: Invalid value:" "JobSet Configuration" "JobSet would serve self-signed" "[X4]"
  x4 jobset-manager-config-cert-manager
  assert_allowed
  x4 jobset-manager-config-cert-manager "$INTERNAL"
  assert_rejected
  assert_message_contains "${DATA}: Invalid value:" "JobSet Configuration has internalCertManagement.enable false" "[X4]"
}

@test "X4 LeaderWorkerSet: internal certificate management is rejected in external mode; enable: false is accepted" {
  x4 lws-manager-config
  assert_rejected
  assert_message_contains "${DATA}: Invalid value:" "LeaderWorkerSet would serve self-signed" "[X4]"
  x4 lws-manager-config-cert-manager
  assert_allowed
}
