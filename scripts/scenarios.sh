#!/usr/bin/env bash
# The certificate-mode scenarios: whole installs (the Certificate, the
# controller Deployment and the ServiceMonitor of a Kubebuilder operator and
# of Kueue) evaluated through policy.wasm in every certManagement mode.
# Prints the README's scenario table (markdown), one row per object.
#
#   scripts/scenarios.sh [KWCTL] [POLICY.wasm]            print the table
#   scripts/scenarios.sh --update [KWCTL] [POLICY.wasm]   rewrite it in README.md
#
# e2e-tests/scenarios.bats checks that README.md holds exactly this output,
# so the table cannot drift from the code; `make scenarios` updates it.
set -euo pipefail
cd "$(dirname "$0")/.."

update=false
if [ "${1:-}" = "--update" ]; then
  update=true
  shift
fi
kwctl="${1:-target/release/policy-host}"
policy="${2:-policy.wasm}"

# The modes, as columns: header and the settings they add.
mode_names=("auto" "external" "internal" "internal + allowInsecureSkipVerify")
mode_settings=(
  '{"certManagement":"auto"}'
  '{"certManagement":"external"}'
  '{"certManagement":"internal"}'
  '{"certManagement":"internal","allowInsecureSkipVerify":true}'
)

# The installs: "install|base settings|fixture ..." (fixtures under test_data/).
kueue='{"metricsCertSecretName":"kueue-metrics-server-cert"}'
installs=(
  "Kubebuilder, cert-manager for webhooks and metrics|{}|certificates/kubebuilder-metrics-certs.json workloads/kubebuilder-cert-manager.json monitors/kubebuilder-tls-patch.json"
  "Kubebuilder, cert-manager for webhooks only (metrics certificate forgotten)|{}|workloads/kubebuilder-webhooks-without-metrics-cert.json"
  "Kubebuilder go/v3, metrics on loopback behind kube-rbac-proxy, cert-manager for webhooks|{}|workloads/x3-kubebuilder-v3-kube-rbac-proxy.json"
  "Kubebuilder default scaffold, no cert-manager|{}|workloads/kubebuilder-scaffold.json monitors/kubebuilder-insecure.json"
  "Kueue, external certificates (KEP-4377 option 3)|$kueue|certificates/kueue-metrics-cert.json workloads/kueue-external-metrics.json monitors/kueue-verified.json"
  "Kueue, internal certificates (KEP-4377 options 1 and 2)|$kueue|workloads/kueue-internal-metrics.json monitors/kueue-insecure.json"
  "Kueue, external metrics with internal webhooks (unsupported)|$kueue|workloads/kueue-metrics-certs-internal-webhooks.json"
)

# The rule ids at the end of each line of TEXT, in order, without repeats.
tags() { grep -oE '\[[A-Za-z0-9-]+\]$' | tr -d '[]' | awk '!seen[$0]++' | paste -sd, - | sed 's/,/, /g'; }

# The rule ids at the start of each line of TEXT (warnings), in order, without repeats.
tags_start() { { grep -oE '^\[[A-Za-z0-9-]+\]' || true; } | tr -d '[]' | awk '!seen[$0]++' | paste -sd, - | sed 's/,/, /g'; }

# One cell: what the policy does with FIXTURE under SETTINGS.
cell() { # FIXTURE SETTINGS
  local response allowed message warnings patch why
  # The table shows the per-object rules: no cross-object lookups (section 12).
  local settings
  settings="$(jq -cn --argjson s "$2" '{"crossObjectChecks":false} + $s')"
  response="$("$kwctl" run --request-path "test_data/$1" --settings-json "$settings" "$policy" 2>/dev/null | grep '^{' | tail -n 1)" || {
    echo "scenarios: $kwctl failed on $1 with $2" >&2
    return 1
  }
  allowed="$(jq -r .allowed <<<"$response")"
  message="$(jq -r '.status.message // ""' <<<"$response")"
  warnings="$(jq -r '(.warnings // [])[]' <<<"$response")"
  patch="$(jq -r '.patch // ""' <<<"$response")"
  if [ "$allowed" != true ]; then
    echo "rejected ($(tags <<<"$message"))"
  elif [ -n "$patch" ]; then
    # The rules that asked for the repair: each warning starts with its id.
    why="$(tags_start <<<"$warnings")"
    if base64 -d <<<"$patch" | jq -e 'any(.[]; .path | test("/args"))' >/dev/null; then
      echo "**mutated**: mount and flag injected ($why)"
    else
      echo "**mutated**: mount injected ($why)"
    fi
  elif [ -n "$warnings" ]; then
    echo "accepted, warning ($(tags_start <<<"$warnings"))"
  else
    echo "accepted"
  fi
}

table() {
  local header="| install | object |" rule="|---|---|" name i
  for name in "${mode_names[@]}"; do
    header+=" $name |"
    rule+="---|"
  done
  echo "$header"
  echo "$rule"
  local cells install base fixtures fixture kind settings row n=0 shown
  cells="$(mktemp -d)"
  # Every cell runs in the background (one policy evaluation each), then
  # the rows are assembled in order.
  for entry in "${installs[@]}"; do
    IFS='|' read -r install base fixtures <<<"$entry"
    for fixture in $fixtures; do
      for i in "${!mode_settings[@]}"; do
        settings="$(jq -cn --argjson a "$base" --argjson b "${mode_settings[$i]}" '$a + $b')"
        cell "$fixture" "$settings" >"$cells/$n-$i" &
      done
      n=$((n + 1))
    done
    wait
  done
  n=0
  for entry in "${installs[@]}"; do
    IFS='|' read -r install base fixtures <<<"$entry"
    shown="$install"
    for fixture in $fixtures; do
      kind="$(jq -r '(.request // .) | .kind.kind' "test_data/$fixture")"
      row="| $shown | [$kind](test_data/$fixture) |"
      shown=""
      for i in "${!mode_settings[@]}"; do
        [ -s "$cells/$n-$i" ] || { echo "scenarios: no result for test_data/$fixture (${mode_names[$i]})" >&2; return 1; }
        row+=" $(cat "$cells/$n-$i") |"
      done
      echo "$row"
      n=$((n + 1))
    done
  done
  rm -rf "$cells"
}

# The README's table is the one whose header starts with this line (no marker
# comments: kwctl inspect prints HTML comments as they are).
header='| install | object |'

if ! $update; then
  table
  exit 0
fi

generated="$(mktemp)"
trap 'rm -f "$generated" "$generated.readme"' EXIT
table >"$generated"
grep -q "^${header}" README.md || {
  echo "scenarios: README.md has no table starting with '$header'" >&2
  exit 1
}
awk -v header="$header" -v table="$generated" '
  index($0, header) == 1 { while ((getline line < table) > 0) print line; skip = 1; next }
  skip && /^\|/ { next }
  { skip = 0; print }
' README.md >"$generated.readme"
mv "$generated.readme" README.md
echo "scenarios: README.md updated" >&2
