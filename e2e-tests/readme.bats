#!/usr/bin/env bats
# The README's example messages are what the policy answers.
#
# Every code block of README.md whose info string is empty or `text` shows a
# rejection, a warning or a settings error, and names the request it comes
# from in its info string, which GitHub and `kwctl inspect` do not show:
#
#   ```text request=test_data/monitors/m6-kubebuilder-http-metrics.json settings={"requireHttps":true}
#
#   request=FILE         the AdmissionRequest (relative to the repository)
#   settings=JSON        the policy's settings, one word (no spaces); default {}
#   settings-path=FILE   the settings from a file instead
#   session=FILE         lookups answered from this recorded session (context-aware)
#
# A `console` block whose first line is `$ kwctl run` takes the same words; its
# expected lines are the ones after the command.
#
# Each line of a block must be a line of the answer, in the answer's order:
# of the rejection message, of a warning, or (for settings the policy refuses)
# of the runner's error. A line may leave out the "<Kind> <ns>/<name>: " or
# "- " the answer puts before it, and "..." stands for any text the README
# leaves out. So a changed message fails here, naming the README line.

load common

setup_file() {
  if [ "$(basename "$KWCTL")" != "policy-host" ]; then
    "$KWCTL" annotate -m "${REPO_ROOT}/policy-metadata.yml" -u "${REPO_ROOT}/README.md" \
      -o "${BATS_FILE_TMPDIR}/annotated.wasm" "$POLICY"
    export POLICY="${BATS_FILE_TMPDIR}/annotated.wasm"
  fi
}

# readme_blocks: every fenced block of README.md as one JSON line
# {line, info, body} (body without the fence's indentation).
readme_blocks() {
  jq -R -s -c '
    def fence: [capture("^(?<ind> *)```(?<info>.*)$")] | first;
    split("\n") | to_entries
    | reduce .[] as $e ({cur: null, out: []};
        if .cur == null then
          ($e.value | fence) as $m
          | if $m then .cur = {line: ($e.key + 1), ind: ($m.ind | length),
                               info: ($m.info | sub("\\s+$"; "")), body: []}
            else . end
        elif ($e.value | test("^ *```\\s*$")) and ($e.value | index("`")) == .cur.ind then
          .out += [.cur | del(.ind)] | .cur = null
        else .cur.body += [$e.value[.cur.ind:]] end)
    | .out[]' "${REPO_ROOT}/README.md"
}

# word NAME INFO: the value of NAME=... in an info string.
word() {
  local w words
  read -r -a words <<<"$2"
  for w in "${words[@]}"; do
    [[ "$w" == "$1="* ]] && { printf '%s' "${w#*=}"; return 0; }
  done
  return 1
}

# The lines of the last answer: the message's lines and each warning; when
# the runner refused (settings), the lines of its error output.
answer_lines() {
  if [ -n "$output" ]; then
    printf '%s' "$output" | jq -c '[(.status.message // "" | split("\n")[]), (.warnings // [])[]]'
  else
    printf '%s\n' "$stderr" | jq -R -s -c 'split("\n")'
  fi
}

# check_block BLOCK_JSON: runs the block's request; prints what does not match.
check_block() {
  local block="$1" info request settings path session expected lines
  info="$(jq -r .info <<<"$block")"
  request="$(word request "$info")" || { echo "no request=FILE in its info string"; return 1; }
  settings="$(word settings "$info")" || settings='{}'
  local args=(--request-path "${REPO_ROOT}/${request}")
  if path="$(word settings-path "$info")"; then
    args+=(--settings-path "${REPO_ROOT}/${path}")
  else
    args+=(--settings-json "$settings")
  fi
  if session="$(word session "$info")"; then
    args+=(--allow-context-aware --replay-host-capabilities-interactions "${REPO_ROOT}/${session}")
  fi
  run --separate-stderr "$KWCTL" run "${args[@]}" "$POLICY"
  output="$(printf '%s\n' "$output" | grep '^{' | tail -n 1 || true)"
  lines="$(answer_lines)"
  # The expected lines: the body without blank lines and, in a console
  # block, without the command and its continuation lines.
  expected="$(jq -c '
    .body as $b
    | if (.info | startswith("console")) then
        ($b | to_entries
            | map(select(.value | startswith("$ ") or startswith("  ") | not))
            | map(.value))
      else $b end
    | map(select(test("\\S")))' <<<"$block")"
  ( jq -n -r --argjson want "$expected" --argjson got "$lines" '
    def esc: gsub("(?<c>[][.(){}*+?^$|\\\\/])"; "\\\(.c)");
    def pattern: split("...") | map(esc) | join(".*")
      | "^(- |[A-Za-z]+ [^ /]+/[^ ]+: |[A-Za-z]+ [^ /]+: )?" + . + "$";
    reduce $want[] as $w ({at: 0, missing: []};
      ($w | pattern) as $p
      | ([range(.at; $got | length) | select($got[.] | test($p))] | first) as $i
      | if $i == null then .missing += [$w] else .at = $i + 1 end)
    | .missing[] | "  README line not in the answer (or out of order): " + .'
  ) | { read -r first || return 0
        printf '%s\n' "$first"; cat
        printf '  the answer was:\n'; jq -r '.[] | "    " + .' <<<"$lines"; }
}

@test "readme: every message block names its request, and the policy answers exactly that" {
  local block failures=0 count=0 info problems
  while IFS= read -r block; do
    info="$(jq -r .info <<<"$block")"
    case "$info" in
      "" | text | "text "*) ;;
      console*) [[ "$(jq -r '.body[0]' <<<"$block")" == '$ kwctl run'* ]] || continue ;;
      *) continue ;;
    esac
    count=$((count + 1))
    problems="$(check_block "$block")" || true
    if [ -n "$problems" ]; then
      failures=$((failures + 1))
      echo "README.md line $(jq -r .line <<<"$block") (${info:-no info string}):" >&2
      printf '%s\n' "$problems" >&2
    fi
  done < <(readme_blocks)
  echo "readme: $count message blocks, $failures failing" >&2
  [ "$count" -ge 40 ]
  [ "$failures" -eq 0 ]
}
