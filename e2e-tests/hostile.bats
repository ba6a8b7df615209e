#!/usr/bin/env bats
# Hostile inputs (SPEC 9 "Expansion", bounded; see the cost model in
# src/workloads/cmdline/expand.rs and src/report.rs): an env chain that
# doubles at each entry is read in bounded time and fails closed, and a
# rejection's message stays bounded whatever the object holds. Each case
# asserts the verdict, the field path and the rule id.

load common

# evaluate_timed FIXTURE [SETTINGS_JSON]: evaluate, and fail when the run
# (engine start included) takes 20 s or more; the eager expansion ran 18 s,
# then trapped.
evaluate_timed() {
  local start end
  start=$(date +%s%N)
  evaluate "$@"
  end=$(date +%s%N)
  [ $(( (end - start) / 1000000 )) -lt 20000 ] || { echo "took $(( (end - start) / 1000000 )) ms" >&2; return 1; }
}

@test "W3: an env chain doubling 40 times feeding --metrics-bind-address is rejected quickly, naming a variable of the chain" {
  evaluate_timed workloads/w3-expansion-doubling-chain-kubebuilder.json
  assert_rejected
  assert_no_patch
  [ "$(violation_count)" -eq 1 ]
  assert_message_contains \
    "spec.template.spec.containers[0].args[0]: Forbidden: --metrics-bind-address=\$(METRICS_ADDR) on an address the policy cannot see (it reads \$(METRICS_" \
    "--metrics-secure=false" "[W3]"
  local msg
  msg="$(field '.status.message')"
  [ "${#msg}" -lt 2048 ] || { echo "message of ${#msg} bytes" >&2; return 1; }
}

@test "W3: the same chain, short and to 127.0.0.1, is accepted untouched" {
  evaluate workloads/w3-expansion-chain-kubebuilder-loopback.json
  assert_allowed
  assert_no_patch
  assert_no_warnings
}

@test "M1, M5: a 3 MiB ServiceMonitor of 20000 insecure endpoints lists 20 violations of each rule and counts the rest" {
  local big="${BATS_TEST_TMPDIR}/servicemonitor-20000-endpoints.json"
  jq '.object.spec.endpoints = [range(20000) as $i | .object.spec.endpoints[0]]' \
    "${REPO_ROOT}/examples/requests/kueue-servicemonitor-insecure.json" >"$big"
  [ "$(stat -c %s "$big")" -gt 3000000 ]
  evaluate_timed "$big"
  assert_rejected
  assert_message_contains "has 40000 problems:" \
    "- spec.endpoints[19].tlsConfig.insecureSkipVerify: Forbidden: insecureSkipVerify: true turns off verification" \
    "- spec.endpoints[19].bearerTokenFile: Forbidden: bearerTokenFile sends credentials" \
    "- and 19980 more violations of this rule, not listed [M1]" \
    "- and 19980 more violations of this rule, not listed [M5]"
  [ "$(violation_count)" -eq 42 ]
  local msg
  msg="$(field '.status.message')"
  [ "${#msg}" -lt 65536 ] || { echo "message of ${#msg} bytes" >&2; return 1; }
  # Every line is one violation ending with its rule id, each with its
  # words (the answer writes those of the violations it lists, and only
  # those).
  ! printf '%s\n' "$msg" | tail -n +2 | grep -v '^- .*\]$'
  ! printf '%s\n' "$msg" | grep -F 'Forbidden:  ['
}

@test "X4: a Kueue ConfigMap of 3 MiB of nested flow lists is refused quickly (libyaml's cost per token grows with the nesting), failing closed" {
  local deep="${BATS_TEST_TMPDIR}/kueue-config-3mib-nested-flow.json"
  head -c 3000000 /dev/zero | tr '\0' '[' >"${BATS_TEST_TMPDIR}/brackets"
  jq --rawfile deep "${BATS_TEST_TMPDIR}/brackets" \
    '.object.data["controller_manager_config.yaml"] |= (. + "x: " + $deep)' \
    "${TEST_DATA}/cross-object/kueue-manager-config-cert-manager.json" >"$deep"
  [ "$(stat -c %s "$deep")" -gt 3000000 ]
  evaluate_timed "$deep" '{"certManagement":"external"}'
  assert_rejected
  assert_message_contains "data[controller_manager_config.yaml]: Invalid value:" \
    "nests collections deeper than 100 flow levels" "[X4]"
}
