#!/usr/bin/env bats
# Certificate-mode scenarios (issue: certificates and modes): the Certificate,
# controller Deployment and ServiceMonitor of a Kubebuilder operator and of
# Kueue, in every certManagement mode, through policy.wasm. The README's
# table is scripts/scenarios.sh's output; these tests keep the two equal and
# pin the cells that carry KEP-4377's story.

load common

setup_file() {
  # One evaluation of every scenario cell, shared by the tests below.
  "${REPO_ROOT}/scripts/scenarios.sh" "$KWCTL" "$POLICY" >"${BATS_FILE_TMPDIR}/table.md"
}

table() { cat "${BATS_FILE_TMPDIR}/table.md"; }

# row FIXTURE: the cells of that object's row (auto|external|internal|internal+allow).
row() {
  table | grep -F "(test_data/$1)" | awk -F' \\| ' '{print $3 "|" $4 "|" $5 "|" $6}' | sed 's/ |$//'
}

@test "scenarios: the README's table is what policy.wasm does" {
  # The README's table: from its header line to the first line that is not a row.
  run diff <(awk 'index($0, "| install | object |") == 1 { on = 1 } on && !/^\|/ { exit } on' \
    "${REPO_ROOT}/README.md") "${BATS_FILE_TMPDIR}/table.md"
  [ "$status" -eq 0 ] || {
    echo "README.md's scenario table differs from the policy (run make scenarios):" >&2
    echo "$output" >&2
    return 1
  }
}

@test "scenarios: every object of every install is evaluated in all four modes" {
  [ "$(table | grep -c '(test_data/')" -eq 13 ]
  # Four non-empty mode cells on every row.
  table | grep -F '(test_data/' | awk -F' \\| ' '
    NF != 6 { exit 1 }
    { for (i = 3; i <= 6; i++) if ($i ~ /^ *\|? *$/) exit 1 }'
}

@test "scenarios: Kubebuilder with cert-manager is accepted in auto and external, refused in internal (C1, X1)" {
  [ "$(row certificates/kubebuilder-metrics-certs.json)" = "accepted|accepted|rejected (C1)|rejected (C1)" ]
  [ "$(row workloads/kubebuilder-cert-manager.json)" = "accepted|accepted|rejected (X1)|rejected (X1)" ]
  [ "$(row monitors/kubebuilder-tls-patch.json)" = "accepted|accepted|accepted|accepted" ]
}

@test "scenarios: a forgotten metrics certificate is injected where certificates are external, untouched in internal" {
  [ "$(row workloads/kubebuilder-webhooks-without-metrics-cert.json)" = "**mutated**: mount and flag injected (X3)|**mutated**: mount and flag injected (X3)|accepted|accepted" ]
}

@test "scenarios: a repair the binary may not understand is never made (SPEC 9): the plain scaffold is refused in external mode" {
  [ "$(row workloads/kubebuilder-scaffold.json)" = "accepted|rejected (X3)|accepted|accepted" ]
}

@test "scenarios: the Kubebuilder go/v3 kube-rbac-proxy layout is untouched in every mode" {
  [ "$(row workloads/x3-kubebuilder-v3-kube-rbac-proxy.json)" = "accepted|accepted|accepted|accepted" ]
}

@test "scenarios: bearer tokens to unverified servers are refused in every mode, allowInsecureSkipVerify or not (M5)" {
  local f
  for f in monitors/kubebuilder-insecure.json monitors/kueue-insecure.json; do
    [ "$(row "$f")" = "rejected (M5, M1)|rejected (M5, M8, M1)|rejected (M5, M1)|rejected (M5)" ]
  done
}

@test "scenarios: Kueue option 3 is accepted unless internal; external metrics with internal webhooks never are" {
  [ "$(row certificates/kueue-metrics-cert.json)" = "accepted|accepted|rejected (C1)|rejected (C1)" ]
  [ "$(row workloads/kueue-external-metrics.json)" = "accepted|accepted|rejected (X1)|rejected (X1)" ]
  [ "$(row monitors/kueue-verified.json)" = "accepted|accepted|accepted|accepted" ]
  [ "$(row workloads/kueue-internal-metrics.json)" = "accepted|accepted|accepted|accepted" ]
  [ "$(row workloads/kueue-metrics-certs-internal-webhooks.json)" = "rejected (X2)|rejected (X2)|rejected (X1)|rejected (X1)" ]
}
