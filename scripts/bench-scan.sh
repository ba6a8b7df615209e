#!/usr/bin/env bash
# Times secure-metrics-scan on 1,000 objects: the objects of
# scanner/tests/data/examples.yaml (7 kinds of verdict: rejected, mutated,
# admitted with and without warnings) repeated under distinct names, in one
# multi-document file; fails when the run takes more than BUDGET seconds.
#
#   scripts/bench-scan.sh SCAN POLICY.wasm [BUDGET_SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
scan="${1:?usage: $0 SCAN POLICY.wasm [BUDGET_SECONDS]}"
policy="${2:?usage: $0 SCAN POLICY.wasm [BUDGET_SECONDS]}"
budget="${3:-10}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

data=scanner/tests/data
n=0
while [ "$n" -lt 1000 ]; do
  i=$((n / 7))
  sed -E "s/^  name: (.*)$/  name: \\1-$i/" "$data/examples.yaml"
  n=$((n + 7))
done | awk -v max=1000 '/^---/ { docs++ } docs <= max' >"$work/big.yaml"
objects="$(grep -c '^kind:' "$work/big.yaml")"
start=$(date +%s%N)
set +e
"$scan" --policy "$policy" --settings "$data/examples.settings.yaml" --format json "$work/big.yaml" \
  >"$work/out.json" 2>"$work/err.txt"
code=$?
set -e
end=$(date +%s%N)
ms=$(( (end - start) / 1000000 ))
[ "$code" -eq 1 ] || { echo "bench-scan: expected exit 1 (rejections), got $code: $(cat "$work/err.txt")" >&2; exit 1; }
judged="$(jq '.summary.judged' "$work/out.json")"
[ "$judged" -eq "$objects" ] || { echo "bench-scan: judged $judged of $objects objects" >&2; exit 1; }
echo "bench-scan: $judged objects judged in ${ms} ms ($(jq -c '.summary' "$work/out.json")); budget ${budget} s; $(nproc) cores"
[ "$ms" -le $((budget * 1000)) ] || { echo "bench-scan: over budget" >&2; exit 1; }
