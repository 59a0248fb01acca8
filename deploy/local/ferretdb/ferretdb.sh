#!/usr/bin/env bash
# Local FerretDB (MongoDB wire protocol on SQLite) for Roster development and CI.
#
# Usage: ferretdb.sh install|start|ready [timeout_s]|stop|status|uri
#
#   install  build $ROSTER_CACHE_DIR/bin/roster-ferretdb from this directory's
#            Go module and patches/ (rebuilt only when they or Go change)
#   start    install if needed, then start in the background (idempotent)
#   ready    poll until the server answers a MongoDB `hello` (default 60 s)
#   stop     SIGTERM, up to 20 s grace, then SIGKILL; harmless if not running
#   status   print state; exit 0 if running, 1 if not
#   uri      print the MongoDB connection string
#
# Environment:
#   ROSTER_CACHE_DIR     default <repo>/.cache   (binary + build hash)
#   ROSTER_STATE_DIR     default <repo>/.state   (data, pid, log under ferretdb/)
#   ROSTER_MONGODB_PORT  default 27017           (always bound to 127.0.0.1)
#   ROSTER_FERRETDB_LOG_LEVEL default info
#   ROSTER_FERRETDB_PPROF     unset; an address (127.0.0.1:6060) serves Go's profiler (read by the binary)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../../.." && pwd)"

CACHE_DIR="${ROSTER_CACHE_DIR:-$REPO_ROOT/.cache}"
BIN="$CACHE_DIR/bin/roster-ferretdb"
HASH_FILE="$BIN.buildhash"

STATE_DIR="${ROSTER_STATE_DIR:-$REPO_ROOT/.state}/ferretdb"
DATA_DIR="$STATE_DIR/data"
PID_FILE="$STATE_DIR/ferretdb.pid"
PORT_FILE="$STATE_DIR/ferretdb.port"
LOG_FILE="$STATE_DIR/ferretdb.log"

HOST=127.0.0.1
PORT="${ROSTER_MONGODB_PORT:-27017}"

# Build settings. CGO is not needed (modernc.org/sqlite is pure Go); the
# PostgreSQL backend is compiled out; -buildvcs=false because VCS stamping is
# useless here and fails in a repo without commits.
GO_TAGS="ferretdb_no_postgresql"
GO_BUILD_FLAGS=(-trimpath -buildvcs=false -tags "$GO_TAGS" -ldflags "-s -w")

log() { echo "ferretdb: $*" >&2; }
die() { log "$*"; exit 1; }

# Hash of everything that affects the binary: sources, patches, build flags, Go version.
build_hash() {
    {
        cat "$SCRIPT_DIR/go.mod" "$SCRIPT_DIR/go.sum" "$SCRIPT_DIR"/*.go "$SCRIPT_DIR"/patches/*.patch
        echo "${GO_BUILD_FLAGS[*]}"
        go version
    } | sha256sum | cut -d' ' -f1
}

# Our patches to FerretDB (patches/*.patch, paths relative to its module root; see
# patches/README.md) are applied to a copy of the module (3.4 MB), and the build points the
# module at that copy through a generated go.mod (`-modfile`): the module cache and this
# directory's go.mod stay as they are. Prints the generated go.mod's path.
patched_modfile() {
    local module_dir out="$CACHE_DIR/ferretdb-src"
    module_dir="$(cd "$SCRIPT_DIR" && GOFLAGS=-mod=readonly go mod download -json github.com/FerretDB/FerretDB \
        | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
    [[ -d "$module_dir" ]] || die "FerretDB module not found in the Go module cache"
    rm -rf "$out" && mkdir -p "$out"
    cp -R "$module_dir" "$out/module" && chmod -R u+w "$out/module"
    for patch_file in "$SCRIPT_DIR"/patches/*.patch; do
        if command -v patch >/dev/null; then
            patch --quiet -p1 -d "$out/module" <"$patch_file" >&2
        else
            (cd "$out/module" && git apply -p1 "$patch_file") >&2
        fi || die "patch failed: $patch_file"
    done
    cp "$SCRIPT_DIR/go.mod" "$out/go.mod"
    cp "$SCRIPT_DIR/go.sum" "$out/go.sum"
    printf '\nreplace github.com/FerretDB/FerretDB => %s\n' "$out/module" >>"$out/go.mod"
    echo "$out/go.mod"
}

cmd_install() {
    command -v go >/dev/null || die "Go toolchain not found (need Go >= 1.24)"
    local want
    want="$(build_hash)"
    if [[ -x "$BIN" && -f "$HASH_FILE" && "$(cat "$HASH_FILE")" == "$want" ]]; then
        log "up to date: $BIN"
        return 0
    fi
    mkdir -p "$(dirname "$BIN")"
    log "building $BIN (first build compiles pure-Go SQLite: ~1 min on 2 cores)..."
    local start=$SECONDS tmp="$BIN.tmp.$$"
    # -mod=readonly: go.sum must already be complete; never edit the module here.
    local modfile
    modfile="$(patched_modfile)"
    (cd "$SCRIPT_DIR" && CGO_ENABLED=0 GOFLAGS=-mod=readonly \
        go build "${GO_BUILD_FLAGS[@]}" -modfile "$modfile" -o "$tmp" .) \
        || { rm -f "$tmp"; die "go build failed"; }
    mv -f "$tmp" "$BIN"          # atomic: a running server keeps its old inode
    echo "$want" >"$HASH_FILE"
    log "built in $((SECONDS - start)) s"
}

# Prints the pid if our server is running, else returns 1.
running_pid() {
    [[ -f "$PID_FILE" ]] || return 1
    local pid
    pid="$(cat "$PID_FILE" 2>/dev/null || true)"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    # Guard against pid reuse after a reboot or crash.
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q roster-ferretdb || return 1
    echo "$pid"
}

# Port of the running instance (as started), else the configured one.
current_port() {
    if [[ -f "$PORT_FILE" ]] && running_pid >/dev/null; then cat "$PORT_FILE"; else echo "$PORT"; fi
}

cmd_start() {
    local pid
    if pid="$(running_pid)"; then
        log "already running (pid $pid, port $(cat "$PORT_FILE" 2>/dev/null || echo '?'))"
        return 0
    fi
    cmd_install
    if (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; then
        die "port $HOST:$PORT is already in use by another process (set ROSTER_MONGODB_PORT)"
    fi
    mkdir -p "$DATA_DIR"
    if [[ -f "$LOG_FILE" ]]; then mv -f "$LOG_FILE" "$LOG_FILE.1"; fi
    # setsid: own session, so the caller's Ctrl-C / terminal hangup does not reach
    # it. In a non-interactive script the child is not a group leader, so setsid
    # execs in place and $! is the server's pid.
    setsid nohup "$BIN" -listen "$HOST:$PORT" -data "$DATA_DIR" \
        -log-level "${ROSTER_FERRETDB_LOG_LEVEL:-info}" \
        >>"$LOG_FILE" 2>&1 </dev/null &
    echo $! >"$PID_FILE"
    echo "$PORT" >"$PORT_FILE"
    # Until setsid/nohup have exec'd the server, the child still looks like this
    # script; wait for the exec so `ready` never mistakes the window for a death.
    for _ in $(seq 50); do running_pid >/dev/null && break; sleep 0.1; done
    log "started (pid $!, mongodb://$HOST:$PORT/, log $LOG_FILE)"
}

# Exit 0 if a MongoDB-wire server answers `hello` with ok:1. Standard library only.
wire_ping() {
    python3 - "$HOST" "$1" <<'PY'
import socket, struct, sys
def bson(pairs):  # tiny BSON encoder: int32 and string values only
    body = b""
    for k, v in pairs:
        if isinstance(v, int):
            body += b"\x10" + k.encode() + b"\0" + struct.pack("<i", v)
        else:
            s = v.encode() + b"\0"
            body += b"\x02" + k.encode() + b"\0" + struct.pack("<i", len(s)) + s
    return struct.pack("<i", len(body) + 5) + body + b"\0"
msg = struct.pack("<I", 0) + b"\0" + bson([("hello", 1), ("$db", "admin")])  # OP_MSG, section kind 0
try:
    with socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2) as s:
        s.sendall(struct.pack("<iiii", 16 + len(msg), 1, 0, 2013) + msg)
        hdr = b""
        while len(hdr) < 16:
            chunk = s.recv(16 - len(hdr)); hdr += chunk
            if not chunk: sys.exit(1)
        length, _, _, opcode = struct.unpack("<iiii", hdr)
        rest = b""
        while len(rest) < length - 16:
            chunk = s.recv(length - 16 - len(rest)); rest += chunk
            if not chunk: sys.exit(1)
except OSError:
    sys.exit(1)
i = rest.find(b"\x01ok\0")  # ok is a double in the reply
sys.exit(0 if opcode == 2013 and i >= 0 and struct.unpack("<d", rest[i + 4:i + 12])[0] == 1.0 else 1)
PY
}

cmd_ready() {
    local timeout="${1:-60}" port pid
    port="$(current_port)"
    local deadline=$((SECONDS + timeout))
    while :; do
        if ! pid="$(running_pid)"; then
            log "not running (process died or never started); last log lines:"
            tail -n 40 "$LOG_FILE" >&2 2>/dev/null || true
            exit 1
        fi
        if wire_ping "$port"; then
            log "ready on mongodb://$HOST:$port/ (pid $pid)"
            return 0
        fi
        if ((SECONDS >= deadline)); then
            log "not ready after ${timeout}s; last log lines:"
            tail -n 40 "$LOG_FILE" >&2 2>/dev/null || true
            exit 1
        fi
        sleep 0.2
    done
}

cmd_stop() {
    local pid
    if ! pid="$(running_pid)"; then
        log "not running"
        rm -f "$PID_FILE" "$PORT_FILE"
        return 0
    fi
    kill -TERM "$pid" 2>/dev/null || true
    local i
    for ((i = 0; i < 100; i++)); do   # 100 x 0.2 s = 20 s grace
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "pid $pid ignored SIGTERM for 20 s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$PID_FILE" "$PORT_FILE"
    log "stopped (pid $pid)"
}

cmd_status() {
    local pid
    if pid="$(running_pid)"; then
        local port
        port="$(cat "$PORT_FILE" 2>/dev/null || echo "$PORT")"
        if wire_ping "$port"; then
            echo "running (pid $pid, mongodb://$HOST:$port/, answering; data $DATA_DIR)"
        else
            echo "running (pid $pid, port $port, NOT answering yet; log $LOG_FILE)"
        fi
        return 0
    fi
    echo "stopped"
    return 1
}

case "${1:-}" in
install) cmd_install ;;
start) cmd_start ;;
ready) cmd_ready "${2:-60}" ;;
stop) cmd_stop ;;
status) cmd_status ;;
uri) echo "mongodb://$HOST:$(current_port)/" ;;
*)
    sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
