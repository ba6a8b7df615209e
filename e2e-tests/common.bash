# Shared helpers for the e2e suite. Every test evaluates a request fixture
# from test_data/ against policy.wasm with `$KWCTL run`, exactly as a user
# would with kwctl; by default the bundled host (e2e-tests/host) stands in.
#
#   KWCTL=kwctl bats e2e-tests/     # with a real kwctl
#   bats e2e-tests/                 # with the bundled host (make e2e-tests)
#
# Nothing here needs the bundled host when KWCTL is a real kwctl: patches are
# applied by jq (jsonpatch.jq), so the whole suite runs with either engine.

bats_require_minimum_version 1.5.0

REPO_ROOT="$(cd "$(dirname "${BATS_TEST_FILENAME}")/.." && pwd)"
TEST_DATA="${REPO_ROOT}/test_data"
POLICY="${POLICY:-${REPO_ROOT}/policy.wasm}"
POLICY_HOST="${POLICY_HOST:-${REPO_ROOT}/target/release/policy-host}"
KWCTL="${KWCTL:-${POLICY_HOST}}"

# evaluate FIXTURE [SETTINGS_JSON [KWCTL_OPTION...]]
# FIXTURE is relative to test_data/ (or absolute). Sets $output (the
# AdmissionResponse JSON on stdout), $stderr and $status. The suites of the
# per-object rules run without cluster lookups: unless SETTINGS_JSON sets
# crossObjectChecks, it is false (cross-object.bats sets it, with sessions).
evaluate() {
  local fixture="$1" settings="${2:-}"
  shift 2 || shift $#
  [[ "$fixture" = /* ]] || fixture="${TEST_DATA}/${fixture}"
  [ -n "$settings" ] || settings='{}'
  settings="$(jq -c 'if type == "object" then {"crossObjectChecks": false} + . else . end' <<<"$settings" 2>/dev/null || printf '%s' "$settings")"
  run --separate-stderr "$KWCTL" run "$@" --request-path "$fixture" --settings-json "$settings" "$POLICY"
  LAST_FIXTURE="$fixture"
  LAST_SETTINGS="$settings"
  if [ "$status" -ne 0 ]; then
    echo "policy run failed with status $status: $stderr" >&2
    return 1
  fi
  # kwctl may print log lines before the response; keep the last JSON line.
  output="$(printf '%s\n' "$output" | grep '^{' | tail -n 1)"
}

# The response field as jq sees it.
field() { printf '%s' "$output" | jq -r "$1"; }

assert_allowed() {
  [ "$(field .allowed)" = "true" ] || { echo "expected allowed, got: $output" >&2; return 1; }
}

assert_rejected() {
  [ "$(field .allowed)" = "false" ] || { echo "expected rejected, got: $output" >&2; return 1; }
}

# assert_message_contains TEXT...: every TEXT occurs in status.message.
assert_message_contains() {
  local msg t
  msg="$(field '.status.message // ""')"
  for t in "$@"; do
    [[ "$msg" == *"$t"* ]] || { echo "message lacks '$t': $msg" >&2; return 1; }
  done
}

assert_message_lacks() {
  local msg t
  msg="$(field '.status.message // ""')"
  for t in "$@"; do
    [[ "$msg" != *"$t"* ]] || { echo "message has '$t': $msg" >&2; return 1; }
  done
}

# The number of "- " bullet lines (one per violation when there are several).
violation_count() {
  local msg
  msg="$(field '.status.message // ""')"
  if [[ "$msg" == *" problems:"* ]]; then
    printf '%s\n' "$msg" | grep -c '^- '
  elif [ -n "$msg" ]; then
    echo 1
  else
    echo 0
  fi
}

assert_no_patch() {
  [ "$(field '.patch // ""')" = "" ] || { echo "unexpected patch: $(decoded_patch)" >&2; return 1; }
}

# The JSONPatch of the last response, decoded.
decoded_patch() { field '.patch // ""' | base64 -d; }

# assert_patch JQ_FILTER: the filter, applied to the decoded patch, is true.
assert_patch() {
  local p
  p="$(decoded_patch)"
  [ -n "$p" ] || { echo "no patch in: $output" >&2; return 1; }
  printf '%s' "$p" | jq -e "$1" >/dev/null || { echo "patch does not satisfy $1: $p" >&2; return 1; }
}

# assert_warning_contains TEXT: some warning contains TEXT.
assert_warning_contains() {
  printf '%s' "$output" | jq -e --arg t "$1" '(.warnings // []) | any(contains($t))' >/dev/null \
    || { echo "no warning with '$1': $output" >&2; return 1; }
}

assert_no_warnings() {
  [ "$(field '(.warnings // []) | length')" = "0" ] || { echo "unexpected warnings: $output" >&2; return 1; }
}

# Applies a JSONPatch with jq (e2e-tests/jsonpatch.jq), so the suite needs no
# patcher besides jq, with kwctl as with the bundled host.
# apply_patch PATCH_JSON < OBJECT_JSON
apply_patch() {
  jq -c -L "${REPO_ROOT}/e2e-tests" --argjson patch "$1" 'include "jsonpatch"; jsonpatch($patch)'
}

# The request FIXTURE with the patch of RESPONSE_JSON applied to its object
# (an AdmissionReview stays a review, a bare AdmissionRequest stays bare).
patched_request() { # FIXTURE RESPONSE_JSON
  local patch
  patch="$(printf '%s' "$2" | jq -r '.patch // ""' | base64 -d)"
  [ -n "$patch" ] || patch='[]'
  jq -c -L "${REPO_ROOT}/e2e-tests" --argjson patch "$patch" '
    include "jsonpatch";
    if (.request | type) == "object" then .request.object |= jsonpatch($patch)
    else .object |= jsonpatch($patch) end' "$1"
}

# second_pass: evaluates the last request again with the patch of the last
# response applied to its object (the policy applied to its own output).
second_pass() {
  local patched
  patched="$(mktemp)"
  patched_request "$LAST_FIXTURE" "$output" > "$patched" || { rm -f "$patched"; return 1; }
  evaluate "$patched" "$LAST_SETTINGS"
  local rc=$?
  rm -f "$patched"
  return $rc
}

# The patched object of the last response (for checks on the whole result).
patched_object() {
  patched_request "$LAST_FIXTURE" "$output" | jq '.object // .request.object'
}

# refuse_settings SETTINGS_JSON TEXT...: the policy refuses the settings and
# the message (stdout or stderr, as kwctl prints it) contains every TEXT.
refuse_settings() {
  local settings="$1" t
  shift
  run --separate-stderr "$KWCTL" run --request-path "${TEST_DATA}/routing/deployment-clean.json" \
    --settings-json "$settings" "$POLICY"
  [ "$status" -ne 0 ] || { echo "settings $settings were accepted: $output" >&2; return 1; }
  for t in "$@"; do
    [[ "$output$stderr" == *"$t"* ]] || { echo "no '$t' in: $output $stderr" >&2; return 1; }
  done
}
