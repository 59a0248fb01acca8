#!/usr/bin/env bash
# Starts, stops and reports the built Roster services as background processes (`roster serve`).
#
# Usage: services.sh start | stop | status
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$HERE/../.." && pwd)"
STATE_DIR="${ROSTER_STATE_DIR:-$REPO_ROOT/.state}/services"
ROSTER="$REPO_ROOT/.venv/bin/roster"
PYTHON="$REPO_ROOT/.venv/bin/python"
# Accounts first: the others verify its access tokens against the keys it publishes.
SERVICES=(accounts contacts groups importer dispatcher flows console)
declare -A PORTS=([contacts]=8001 [groups]=8002 [importer]=8003 [dispatcher]=8004 [flows]=8005
  [accounts]=8006 [console]=8000)

port_of() {
  local var="ROSTER_${1^^}_PORT"
  echo "${!var:-${PORTS[$1]}}"
}

pid_of() {
  local pid_file="$STATE_DIR/$1.pid"
  [[ -f "$pid_file" ]] || return 1
  local pid
  pid="$(cat "$pid_file")"
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

ready() {
  "$PYTHON" - "$1" <<'PY'
import sys, urllib.request
try:
    with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/readyz", timeout=2) as r:
        sys.exit(0 if r.status == 200 else 1)
except Exception:
    sys.exit(1)
PY
}

cmd_start() {
  mkdir -p "$STATE_DIR"
  for svc in "${SERVICES[@]}"; do
    if pid_of "$svc" >/dev/null; then
      echo "$svc: already running (pid $(pid_of "$svc"))"
      continue
    fi
    local port
    port="$(port_of "$svc")"
    ROSTER_IMPORT_DIR="${ROSTER_IMPORT_DIR:-$STATE_DIR/../imports}" \
      ROSTER_AUTH_JWKS_URL="${ROSTER_AUTH_JWKS_URL:-http://127.0.0.1:$(port_of accounts)/.well-known/jwks.json}" \
      ROSTER_LOG_JSON="${ROSTER_LOG_JSON:-true}" setsid nohup "$ROSTER" serve "$svc" --port "$port" \
      >>"$STATE_DIR/$svc.log" 2>&1 </dev/null &
    echo $! >"$STATE_DIR/$svc.pid"
    echo "$svc: started (pid $!), log $STATE_DIR/$svc.log"
  done
  for svc in "${SERVICES[@]}"; do
    local port deadline
    port="$(port_of "$svc")"
    deadline=$((SECONDS + 90))
    until ready "$port"; do
      if ! pid_of "$svc" >/dev/null; then
        echo "$svc: exited during start-up; last log lines:" >&2
        tail -n 40 "$STATE_DIR/$svc.log" >&2
        return 1
      fi
      if ((SECONDS > deadline)); then
        echo "$svc: not ready after 90 s; last log lines:" >&2
        tail -n 40 "$STATE_DIR/$svc.log" >&2
        return 1
      fi
      sleep 0.5
    done
    echo "$svc: ready at http://127.0.0.1:$port"
  done
}

cmd_stop() {
  for svc in "${SERVICES[@]}"; do
    local pid
    if pid="$(pid_of "$svc")"; then
      kill -TERM "$pid"
      for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -KILL "$pid" 2>/dev/null || true
      echo "$svc: stopped"
    fi
    rm -f "$STATE_DIR/$svc.pid"
  done
}

cmd_status() {
  for svc in "${SERVICES[@]}"; do
    if pid_of "$svc" >/dev/null; then
      echo "$svc: running (pid $(pid_of "$svc")) at http://127.0.0.1:$(port_of "$svc")"
    else
      echo "$svc: stopped"
    fi
  done
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
