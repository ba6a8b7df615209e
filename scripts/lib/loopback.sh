# Helpers of the scripts that start servers on loopback for a test
# (policy-server-smoke.sh, registry-e2e.sh); sourced, after `set -euo pipefail`.
#
#   loopback_init LABEL LOG...   a temporary directory in $work, the servers'
#                                pids in $pids (killed, and $work removed, on
#                                exit), LABEL and the LOGs (names under $work)
#                                for `fail`
#   fail MESSAGE...              says LABEL: MESSAGE and the last lines of each
#                                log, and exits 1
#   free_port                    a port nothing listens on yet
#   wait_for URL PID WHAT        at most 60 s for URL to answer while PID lives

loopback_init() {
  loopback_label="$1"
  shift
  loopback_logs=("$@")
  work="$(mktemp -d)"
  pids=()
  trap loopback_cleanup EXIT
}

loopback_cleanup() {
  local pid
  for pid in "${pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$work"
}

fail() {
  local log
  echo "$loopback_label: $*" >&2
  for log in "${loopback_logs[@]}"; do
    [ -f "$work/$log" ] || continue
    echo "--- $log (last 40 lines):" >&2
    tail -n 40 "$work/$log" >&2 || true
  done
  exit 1
}

# A port nothing listens on yet (bash's /dev/tcp fails to connect to it).
free_port() {
  local p
  for _ in $(seq 50); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  return 1
}

wait_for() {
  local i
  for i in $(seq 600); do
    kill -0 "$2" 2>/dev/null || fail "$3 exited before it was ready"
    if curl -s -o /dev/null --max-time 1 "$1"; then return 0; fi
    [ "$i" -lt 600 ] || fail "$3 not ready after 60 s"
    sleep 0.1
  done
}
