#!/usr/bin/env bash
# `make bench`: times `validate` of policy.wasm against the parse-and-accept
# baseline policy (benches/baseline-policy, built with the speed profile), both
# loaded in one host process and called in turn, call by call
# (`policy-host bench --baseline`), so that one run gives a stable ratio.
# Prints median and p99 of both per request and the ratio of the medians, then
# checks the budgets of the table below and policy.wasm's size.
#
#   scripts/bench.sh HOST POLICY.wasm BASELINE.wasm
# Environment: BENCH_ITERATIONS (3000 timed rounds per request), BENCH_WARMUP
# (300), BENCH_MAX_MS (4000: cap on one request's timed rounds, for the
# hostile objects), BENCH_STRICT=1 to enforce the rows marked `pending` too,
# BENCH_CONTEXT_AWARE=0 to skip the context-aware table (lookups replayed),
# BENCH_SCALING=0 to skip the table of grown objects.
set -euo pipefail
cd "$(dirname "$0")/.."

host="${1:?usage: scripts/bench.sh HOST POLICY.wasm BASELINE.wasm}"
policy="${2:?policy wasm}"
baseline="${3:?baseline wasm}"
iterations="${BENCH_ITERATIONS:-3000}"
warmup="${BENCH_WARMUP:-300}"
max_ms="${BENCH_MAX_MS:-4000}"
strict="${BENCH_STRICT:-0}"

size_budget=$((768 * 1024))

# The budgets, one row per request: the request file (a `gen:NAME` is built
# by `generate` below), the budget as policy median / baseline median in the
# same run, and the gate: `enforce` fails the bench when the budget is broken,
# `pending:WHY` prints the row and its verdict without failing (until the
# work named lands; BENCH_STRICT=1 enforces it anyway). A request file with a
# <name>.settings.json beside it is run with those settings.
budgets=(
  "test_data/routing/deployment-clean.json                            1.25 enforce"
  "test_data/routing/servicemonitor-clean.json                        1.25 enforce"
  "test_data/routing/certificate-clean.json                           1.25 enforce"
  "benches/requests/configmap-kubebuilder-v3-manager-config.json      1.10 enforce"
  "examples/requests/kubebuilder-controller-missing-metrics-cert.json 2.00 enforce"
  "test_data/workloads/kubebuilder-cert-manager.json                 1.25 enforce"
  "test_data/cross-object/kueue-servicemonitor-verified.json         1.25 enforce"
  "test_data/certificates/kubebuilder-metrics-certs.json             1.25 enforce"
  "gen:deployment-hostile-16k-volumes                                 3.00 enforce"
  "gen:deployment-hostile-expansion                                   3.00 enforce"
  "gen:deployment-hostile-expansion-long-chain                        3.00 enforce"
  "gen:deployment-hostile-expansion-30000                             3.00 enforce"
  "gen:servicemonitor-hostile-3mib                                    3.00 enforce"
  "gen:configmap-hostile-alias-bomb                                   3.00 pending:YAML-parsing-(libyaml)-costs-about-ten-times-JSON-per-byte"
)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Generated requests (too big to keep in the repository).
generate() { # NAME OUT
  case "$1" in
    deployment-hostile-16k-volumes)
      # The Kubebuilder manager with its metrics certificate mounted, plus
      # 16384 Secret volumes and a mount of each in the manager container:
      # every rule that looks a mount or a volume up walks these lists.
      jq '.object.spec.template.spec |= (
            .volumes += [range(16384) as $i | {name: "extra-\($i)", secret: {secretName: "extra-\($i)"}}]
            | .containers[0].volumeMounts += [range(16384) as $i
                | {name: "extra-\($i)", mountPath: "/var/run/extra/\($i)", readOnly: true}])' \
        test_data/workloads/kubebuilder-cert-manager.json >"$2"
      ;;
    deployment-hostile-expansion)
      # The Kubebuilder manager with the env chains of the issue that
      # amplify the most under the expansion's bounds
      # (src/workloads/cmdline/expand.rs): 40 entries that each read the one
      # before twice (2^40 copies of the first, read eagerly) and 12 that
      # read it ten times; --metrics-bind-address reads the last, so the
      # reading spends its whole budget, then reads the rest as unknown.
      jq '.object.spec.template.spec.containers[0] |= (
            .env = ([{name: "D0", value: "0123456789abcdef"}]
              + [range(1; 41) as $i | {name: "D\($i)", value: "$(D\($i - 1))$(D\($i - 1))"}]
              + [{name: "T0", value: "0.0.0.0:8080"}]
              + [range(1; 13) as $i | {name: "T\($i)", value: ("$(T\($i - 1))" * 10)}]
              + [{name: "METRICS_ADDR", value: "$(D40)$(T12)"}])
            | .args = ["--metrics-bind-address=$(METRICS_ADDR)", "--metrics-secure=false"]
              + (.args | map(select(startswith("--metrics-bind-address=") | not))))' \
        test_data/workloads/kubebuilder-cert-manager.json >"$2"
      ;;
    deployment-hostile-expansion-long-chain)
      # 3000 env entries that each add a byte to the one before (quadratic
      # when read eagerly, 22x the parse before the bounds): the copies
      # spend the budget, and every entry past it is read through markers.
      jq '.object.spec.template.spec.containers[0] |= (
            .env = ([{name: "G0", value: "0123456789abcdef"}]
              + [range(1; 3001) as $i | {name: "G\($i)", value: "$(G\($i - 1))x"}])
            | .args = ["--metrics-bind-address=$(G3000)", "--metrics-secure=false"]
              + (.args | map(select(startswith("--metrics-bind-address=") | not))))' \
        test_data/workloads/kubebuilder-cert-manager.json >"$2"
      ;;
    deployment-hostile-expansion-30000)
      # 30,001 env entries that each read the one before (a plain chain,
      # 3 MB compact: 6 s when each value was copied whole into the next).
      jq -c '.object.spec.template.spec.containers[0] |= (
            .env = ([{name: "A0", value: ":8080"}]
              + [range(1; 30001) as $i | {name: "A\($i)", value: "$(A\($i - 1))"}])
            | .args = ["--metrics-bind-address=$(A30000)", "--metrics-secure=false"])' \
        examples/requests/kubebuilder-controller-missing-metrics-cert.json >"$2"
      ;;
    servicemonitor-hostile-3mib)
      # 20,000 insecure endpoints with a bearer token each (3.1 MiB compact):
      # 40,000 violations, of which the answer lists and writes 20 a rule
      # (2 s and a 20 MB message when every one was written and sorted).
      jq -c '.object.spec.endpoints |= [range(20000) as $i | .[0]]' \
        examples/requests/kueue-servicemonitor-insecure.json >"$2"
      ;;
    configmap-hostile-alias-bomb)
      # Kueue's manager ConfigMap with a billion-laugh alias bomb (ten levels
      # of nine aliases, 1.3 KB) after its Configuration: expanded, it is 10^9
      # nodes; X4's reader never expands it and refuses it as go-yaml does.
      local bomb='x0: &x0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'$'\n' i
      for i in 1 2 3 4 5 6 7 8 9; do
        bomb+="x$i: &x$i [$(printf '*x%d, ' $((i - 1)){,,,,,,,} | sed 's/, $//'), *x$((i - 1))]"$'\n'
      done
      jq --arg bomb "$bomb" '.object.data["controller_manager_config.yaml"] += $bomb' \
        test_data/cross-object/kueue-manager-config-cert-manager.json >"$2"
      ;;
    *)
      echo "bench.sh: no generator for '$1'" >&2
      return 1
      ;;
  esac
}

files=() ratio_budgets=() gates=()
for row in "${budgets[@]}"; do
  read -r file ratio gate <<<"$row"
  if [[ "$file" == gen:* ]]; then
    name="${file#gen:}"
    generate "$name" "$work/$name.json"
    file="$work/$name.json"
  fi
  files+=("$file") ratio_budgets+=("$ratio") gates+=("$gate")
done

echo "timing $iterations rounds (after $warmup warm-up rounds, at most ${max_ms} ms) per request, policy and baseline call by call ..." >&2
# The budgets are those of the rules: no cluster lookups (the bench host has
# no cluster and would refuse them; what a lookup costs is the policy
# server's), so every request runs with crossObjectChecks: false.
"$host" bench --json --iterations "$iterations" --warmup "$warmup" --max-ms "$max_ms" \
  --settings-json '{"crossObjectChecks":false}' \
  --baseline "$baseline" "$policy" "${files[@]}" >"$work/rows.json"

# The budget of each row, by the path given to the host.
for i in "${!files[@]}"; do
  jq -n --arg path "${files[$i]}" --argjson budget "${ratio_budgets[$i]}" --arg gate "${gates[$i]}" \
    '{path: $path, budget: $budget, gate: $gate}'
done | jq -s . >"$work/budgets.json"

jq -r -n --slurpfile rows "$work/rows.json" --slurpfile budgets "$work/budgets.json" \
  --arg work "$work/" --argjson strict "$([ "$strict" = 1 ] && echo true || echo false)" '
  def f1: (. * 10 | round / 10 | tostring) as $s | if ($s | test("\\.")) then $s else $s + ".0" end;
  def f2: (. * 100 | round / 100 | tostring) as $s | if ($s | test("\\.")) then $s else $s + ".0" end;
  def pad($n): tostring | (" " * ([$n - length, 0] | max)) + .;
  def rpad($n): tostring | . + (" " * ([$n - length, 0] | max));
  [range($rows[0] | length) as $i | $rows[0][$i] + $budgets[0][$i]
    | .name = (.path | ltrimstr($work))
    | .verdict = (if .mutated then "mutated" elif .accepted then "accepted" else "rejected" end)
    | .enforced = ($strict or .gate == "enforce")
    | .status = (if .ratio <= .budget then "ok"
                 elif .enforced then "BROKEN"
                 else "over (" + (.gate | ltrimstr("pending:")) + ")" end)]
  | (map(.name | length) | max) as $w
  | ("request" | rpad($w)) + "  " + ("kind" | rpad(14)) + "  " + ("verdict" | rpad(8))
    + "  " + ("calls" | pad(5))
    + "  " + ("policy µs med" | pad(13)) + "  " + ("p99" | pad(8))
    + "  " + ("baseline µs med" | pad(15)) + "  " + ("p99" | pad(8))
    + "  " + ("ratio" | pad(6)) + "  " + ("budget" | pad(6)) + "  status",
    (.[] | (.name | rpad($w)) + "  " + (.kind | rpad(14)) + "  " + (.verdict | rpad(8))
      + "  " + (.iterations | pad(5))
      + "  " + (.median_us | f1 | pad(13)) + "  " + (.p99_us | f1 | pad(8))
      + "  " + (.baseline_median_us | f1 | pad(15)) + "  " + (.baseline_p99_us | f1 | pad(8))
      + "  " + (.ratio | f2 | pad(6)) + "  " + (.budget | f2 | pad(6)) + "  " + .status)
'

broken=$(jq -n --slurpfile rows "$work/rows.json" --slurpfile budgets "$work/budgets.json" \
  --argjson strict "$([ "$strict" = 1 ] && echo true || echo false)" \
  '[range($rows[0] | length) as $i | $rows[0][$i] + $budgets[0][$i]
    | select(($strict or .gate == "enforce") and .ratio > .budget)] | length')

policy_bytes=$(stat -c %s "$policy")
baseline_bytes=$(stat -c %s "$baseline")
echo
printf 'policy.wasm    %9d bytes (%.1f KiB)  budget %d bytes (768 KiB): %s\n' \
  "$policy_bytes" "$(jq -n "$policy_bytes / 1024")" "$size_budget" \
  "$([ "$policy_bytes" -le "$size_budget" ] && echo ok || echo BROKEN)"
printf 'baseline.wasm  %9d bytes (%.1f KiB)\n' "$baseline_bytes" "$(jq -n "$baseline_bytes / 1024")"
echo "(ratio = policy median / baseline median over the same rounds; each round calls both, in alternating order)"
[ "$policy_bytes" -le "$size_budget" ] || broken=$((broken + 1))

# The context-aware path (issues 23 and 27): the rows of
# benches/context-aware.txt run with crossObjectChecks: true, their lookups
# answered from the row's recorded session (kwctl's replay format). The host
# replays the whole session for every call and fails when a call does not
# replay it exactly, so no row times the failed-lookup path; the baseline gets
# the same session and makes no lookup. Gate `info`: printed, never failing
# (the issues set no budget for the lookup path: the floor makes no lookup).
if [ "${BENCH_CONTEXT_AWARE:-1}" != 0 ]; then
  sessions=test_data/cross-object/sessions
  while read -r file session gate; do
    [[ -z "$file" || "$file" == \#* ]] && continue
    if [ "$gate" != info ]; then
      echo "bench.sh: benches/context-aware.txt: unknown gate '$gate' for $file (only 'info')" >&2
      exit 1
    fi
    "$host" bench --json --iterations "$iterations" --warmup "$warmup" --max-ms "$max_ms" \
      --settings-json '{"crossObjectChecks":true,"certManagement":"external"}' \
      --allow-context-aware --replay-host-capabilities-interactions "$sessions/$session" \
      --baseline "$baseline" "$policy" "$file" |
      jq --arg session "$session" --arg gate "$gate" '.[] + {session: $session, gate: $gate}'
  done <benches/context-aware.txt | jq -s . >"$work/context.json"
  echo
  echo "context-aware (lookups replayed): crossObjectChecks true, each call's lookups answered from the session"
  jq -r -n --slurpfile rows "$work/context.json" --slurpfile plain "$work/rows.json" '
    def f1: (. * 10 | round / 10 | tostring) as $s | if ($s | test("\\.")) then $s else $s + ".0" end;
    def f2: (. * 100 | round / 100 | tostring) as $s | if ($s | test("\\.")) then $s else $s + ".0" end;
    def pad($n): tostring | (" " * ([$n - length, 0] | max)) + .;
    def rpad($n): tostring | . + (" " * ([$n - length, 0] | max));
    ($plain[0] | map({key: .path, value: .ratio}) | from_entries) as $without
    | $rows[0]
    | (map(.path | length) | max) as $w
    | ("request" | rpad($w)) + "  " + ("session" | rpad(26)) + "  " + ("verdict" | rpad(8))
      + "  " + ("lookups" | pad(7))
      + "  " + ("policy µs med" | pad(13)) + "  " + ("p99" | pad(8)) + "  " + ("of which host" | pad(13))
      + "  " + ("baseline µs med" | pad(15)) + "  " + ("p99" | pad(8))
      + "  " + ("ratio" | pad(6)) + "  " + ("no lookups" | pad(10)) + "  gate",
      (.[] | (.path | rpad($w)) + "  " + (.session | rpad(26))
        + "  " + ((if .mutated then "mutated" elif .accepted then "accepted" else "rejected" end) | rpad(8))
        + "  " + (.lookups | pad(7))
        + "  " + (.median_us | f1 | pad(13)) + "  " + (.p99_us | f1 | pad(8))
        + "  " + (.lookups_host_median_us | f1 | pad(13))
        + "  " + (.baseline_median_us | f1 | pad(15)) + "  " + (.baseline_p99_us | f1 | pad(8))
        + "  " + (.ratio | f2 | pad(6)) + "  " + (($without[.path] // null) | if . == null then "-" else f2 end | pad(10))
        + "  " + .gate)
  '
  echo "(of which host = the host's share of the policy median: reading each lookup, comparing it with the session, copying the answer;"
  echo " no lookups = the same request's ratio with crossObjectChecks false, from the table above)"
fi

if [ "${BENCH_SCALING:-1}" != 0 ]; then
  # Grown copies: the repeated list x1, x10, x100 (names kept distinct).
  grow() { # FILE POINTER-AS-JQ-PATH FACTOR OUT
    jq --argjson n "$3" '
      (.request // .) as $req
      | $req | getpath('"$2"') as $list
      | setpath('"$2"'; [range($n) as $i | $list[] | if type == "object" and has("name")
            then .name = "\(.name)-\($i)" elif type == "string" then sub("^(?<a>[^.]*)"; "\(.a)-\($i)") else . end])
    ' "$1" >"$4"
  }
  scaled=()
  for spec in \
    "test_data/routing/deployment-clean.json|[\"object\",\"spec\",\"template\",\"spec\",\"containers\"]|deployment" \
    "examples/requests/kubebuilder-controller-missing-metrics-cert.json|[\"object\",\"spec\",\"template\",\"spec\",\"containers\"]|deployment-injected" \
    "test_data/routing/servicemonitor-clean.json|[\"object\",\"spec\",\"endpoints\"]|servicemonitor" \
    "examples/requests/kueue-servicemonitor-insecure.json|[\"object\",\"spec\",\"endpoints\"]|servicemonitor-rejected" \
    "test_data/routing/certificate-clean.json|[\"object\",\"spec\",\"dnsNames\"]|certificate"; do
    IFS='|' read -r file path label <<<"$spec"
    for n in 1 10 100; do
      grow "$file" "$path" "$n" "$work/$label-x$n.json"
      scaled+=("$work/$label-x$n.json")
    done
  done
  scale_its=$((iterations / 10 > 50 ? iterations / 10 : 50))
  "$host" bench --json --iterations "$scale_its" --warmup 20 --max-ms 1000 \
    --baseline "$baseline" "$policy" "${scaled[@]}" >"$work/scaled.json"
  echo
  echo "time per byte as objects grow (the list of containers, endpoints or DNS names repeated):"
  for f in "${scaled[@]}"; do
    printf '%s\t%s\n' "$f" "$(stat -c %s "$f")"
  done >"$work/sizes.tsv"
  jq -r -n --slurpfile p "$work/scaled.json" --rawfile sizes "$work/sizes.tsv" '
    def f1: (. * 10 | round / 10 | tostring) as $s | if ($s | test("\\.")) then $s else $s + ".0" end;
    def pad($n): tostring | (" " * ([$n - length, 0] | max)) + .;
    def rpad($n): tostring | . + (" " * ([$n - length, 0] | max));
    ($sizes | split("\n") | map(select(length > 0) | split("\t") | {key: .[0], value: (.[1] | tonumber)}) | from_entries) as $size
    | ("object" | rpad(28)) + ("bytes" | pad(9)) + ("policy µs" | pad(12)) + ("ns/byte" | pad(9))
      + ("baseline µs" | pad(13)) + ("ns/byte" | pad(9)) + ("rules ns/byte" | pad(15)) + "  verdict",
      ($p[0][] | $size[.path] as $bytes
        | (.file | rtrimstr(".json") | rpad(28)) + ($bytes | pad(9))
          + (.median_us | f1 | pad(12)) + (.median_us * 1000 / $bytes | f1 | pad(9))
          + (.baseline_median_us | f1 | pad(13)) + (.baseline_median_us * 1000 / $bytes | f1 | pad(9))
          + ((.median_us - .baseline_median_us) * 1000 / $bytes | f1 | pad(15))
          + "  " + (if .mutated then "mutated" elif .accepted then "accepted" else "rejected" end))
  '
  echo "(rules ns/byte = (policy - baseline) / bytes: the policy's own work per byte of request)"
fi

echo
if [ "$broken" = 0 ]; then
  echo "bench: budgets hold"
else
  echo "bench: $broken BUDGET(S) BROKEN (see the table above)" >&2
  exit 1
fi
