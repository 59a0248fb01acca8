#!/usr/bin/env bash
# Local single-node Apache Kafka broker (KRaft, broker+controller in one JVM)
# for Roster development and tests. No Docker: the broker jars come from Maven
# Central (see pom.xml next to this script) and run on the local JDK.
#
# Usage: kafka.sh install | start | ready [timeout_seconds] | stop | status
#
# Environment (all optional):
#   ROSTER_CACHE_DIR               jar cache          (default <repo>/.cache)
#   ROSTER_STATE_DIR               config, data, logs (default <repo>/.state)
#   ROSTER_KAFKA_PORT              broker listener    (default 9092)
#   ROSTER_KAFKA_CONTROLLER_PORT   KRaft controller   (default 9093)
#   ROSTER_KAFKA_HEAP_OPTS         JVM heap flags     (default -Xms256m -Xmx768m)
#   JAVA_HOME                      JDK to use (else `java` on PATH; needs 17+)
#
# A secured listener besides (what managed clusters offer; the tests of TLS and SASL use it):
#   ROSTER_KAFKA_SASL_SSL_PORT     SASL_SSL listener  (default: none)
#   ROSTER_KAFKA_TLS_KEYSTORE      PEM file: the broker's private key and certificate chain
#   ROSTER_KAFKA_TLS_KEY_PASSWORD  that key's password, if it is encrypted (PBES1: the JDK reads no PBES2)
#   ROSTER_KAFKA_SCRAM_USERS       user:password[,user:password]: SCRAM-SHA-256 and -512 credentials,
#                                  written when the storage is formatted
#
# Everything binds to 127.0.0.1 only. Data lives in
# $ROSTER_STATE_DIR/kafka/data and survives stop/start; delete
# $ROSTER_STATE_DIR/kafka (broker stopped) for a clean cluster.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../../.." && pwd)"

CACHE_DIR="${ROSTER_CACHE_DIR:-$REPO_ROOT/.cache}"
STATE_ROOT="${ROSTER_STATE_DIR:-$REPO_ROOT/.state}"
PORT="${ROSTER_KAFKA_PORT:-9092}"
CONTROLLER_PORT="${ROSTER_KAFKA_CONTROLLER_PORT:-9093}"
HOST=127.0.0.1
NODE_ID=1

POM="$SCRIPT_DIR/pom.xml"
LOG_CONFIG="$SCRIPT_DIR/log4j2.xml"
PROBE="$SCRIPT_DIR/kafka_probe.py"

# The Kafka version is defined once, in pom.xml.
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$POM" | head -n1)"
[[ -n "$KAFKA_VERSION" ]] || { echo "kafka: cannot read kafka.version from $POM" >&2; exit 1; }

INSTALL_DIR="$CACHE_DIR/kafka-$KAFKA_VERSION"
LIB_DIR="$INSTALL_DIR/lib"
MARKER="$INSTALL_DIR/.installed"

STATE_DIR="$STATE_ROOT/kafka"
DATA_DIR="$STATE_DIR/data"
CONFIG="$STATE_DIR/server.properties"
PID_FILE="$STATE_DIR/broker.pid"
LOG_FILE="$STATE_DIR/broker.log"
CLUSTER_ID_FILE="$STATE_DIR/cluster.id"
FORMATTED_PORT_FILE="$STATE_DIR/formatted.controller-port"

SASL_SSL_PORT="${ROSTER_KAFKA_SASL_SSL_PORT:-}"
TLS_KEYSTORE="${ROSTER_KAFKA_TLS_KEYSTORE:-}"
TLS_KEY_PASSWORD="${ROSTER_KAFKA_TLS_KEY_PASSWORD:-}"
SCRAM_USERS="${ROSTER_KAFKA_SCRAM_USERS:-}"

JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
HEAP_OPTS="${ROSTER_KAFKA_HEAP_OPTS:--Xms256m -Xmx768m}"

say() { echo "kafka: $*"; }
die() { echo "kafka: error: $*" >&2; exit 1; }

# ---------------------------------------------------------------- install --

# The marker holds a checksum of pom.xml, so editing pom.xml (e.g. another
# logging jar) re-resolves even when the Kafka version stays the same.
install_fingerprint() { sha256sum <"$POM" | cut -d' ' -f1; }

is_installed() {
  [[ -f "$MARKER" ]] && [[ "$(cat "$MARKER")" == "$(install_fingerprint)" ]] \
    && compgen -G "$LIB_DIR/kafka_2.13-*.jar" >/dev/null
}

cmd_install() {
  if is_installed; then
    say "Kafka $KAFKA_VERSION already installed ($LIB_DIR)"
    return 0
  fi
  command -v mvn >/dev/null || die "mvn (Maven) is required to install Kafka"
  command -v "$JAVA" >/dev/null || die "java is required (set JAVA_HOME or put java on PATH)"
  say "resolving Kafka $KAFKA_VERSION jars with Maven into $LIB_DIR ..."
  mkdir -p "$INSTALL_DIR"
  local tmp="$INSTALL_DIR/lib.tmp.$$"
  rm -rf "$tmp"
  # Maven's output goes to a log (it is shown only when resolving fails).
  if ! mvn -B -q -f "$POM" dependency:copy-dependencies \
      -DoutputDirectory="$tmp" -DincludeScope=runtime >"$INSTALL_DIR/maven.log" 2>&1; then
    tail -n 40 "$INSTALL_DIR/maven.log" >&2
    rm -rf "$tmp"
    die "Maven could not resolve the Kafka jars (log: $INSTALL_DIR/maven.log)"
  fi
  compgen -G "$tmp/kafka_2.13-*.jar" >/dev/null || { rm -rf "$tmp"; die "no kafka_2.13 jar resolved"; }
  rm -rf "$LIB_DIR" "$MARKER"
  mv "$tmp" "$LIB_DIR"
  install_fingerprint >"$MARKER"   # written only after a complete resolve
  say "installed Kafka $KAFKA_VERSION ($(find "$LIB_DIR" -name "*.jar" | wc -l) jars)"
}

# ------------------------------------------------------------ process info --

# True if pid is a live (non-zombie) process.
alive() {
  kill -0 "$1" 2>/dev/null && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

# Prints the broker pid if the pid file names a live Kafka broker process.
broker_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  alive "$pid" || return 1
  # Guard against pid reuse: it must be our broker (kafka.Kafka + our config).
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "kafka.Kafka $CONFIG" || return 1
  echo "$pid"
}

answers() { python3 "$PROBE" "$HOST" "$PORT" "$NODE_ID" 2>/dev/null; }

port_in_use() {
  (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
}

# ------------------------------------------------------------------ start --

write_config() {
  cat >"$CONFIG" <<EOF
# Generated by deploy/local/kafka/kafka.sh on every start; do not edit.
process.roles=broker,controller
node.id=$NODE_ID
controller.quorum.bootstrap.servers=$HOST:$CONTROLLER_PORT
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://$HOST:$PORT,CONTROLLER://$HOST:$CONTROLLER_PORT$(secured_listener)
advertised.listeners=PLAINTEXT://$HOST:$PORT,CONTROLLER://$HOST:$CONTROLLER_PORT$(secured_listener)
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL
log.dirs=$DATA_DIR
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
min.insync.replicas=1
default.replication.factor=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.retention.hours=168
EOF
  if [[ -n "$SASL_SSL_PORT" ]]; then
    [[ -f "$TLS_KEYSTORE" ]] || die "ROSTER_KAFKA_TLS_KEYSTORE must name the broker's PEM key and chain"
    cat >>"$CONFIG" <<EOF
sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.ssl.keystore.type=PEM
listener.name.sasl_ssl.ssl.keystore.location=$TLS_KEYSTORE
EOF
    [[ -z "$TLS_KEY_PASSWORD" ]] || echo "listener.name.sasl_ssl.ssl.key.password=$TLS_KEY_PASSWORD" >>"$CONFIG"
  fi
}

secured_listener() {
  [[ -n "$SASL_SSL_PORT" ]] && printf ',SASL_SSL://%s:%s' "$HOST" "$SASL_SSL_PORT"
  return 0
}

# `--add-scram` arguments, one per line, for each user:password of ROSTER_KAFKA_SCRAM_USERS.
scram_arguments() {
  local pair user password pairs
  IFS=',' read -ra pairs <<<"$SCRAM_USERS"
  for pair in "${pairs[@]}"; do
    [[ -n "$pair" ]] || continue
    user="${pair%%:*}" password="${pair#*:}"
    printf -- '--add-scram\nSCRAM-SHA-256=[name=%s,password=%s]\n' "$user" "$password"
    printf -- '--add-scram\nSCRAM-SHA-512=[name=%s,password=%s]\n' "$user" "$password"
  done
}

format_storage() {
  if [[ -f "$DATA_DIR/meta.properties" ]]; then
    local formatted_port
    formatted_port="$(cat "$FORMATTED_PORT_FILE" 2>/dev/null || echo "$CONTROLLER_PORT")"
    [[ "$formatted_port" == "$CONTROLLER_PORT" ]] || die "storage in $DATA_DIR was formatted for controller port $formatted_port, not $CONTROLLER_PORT; use that port or delete $STATE_DIR"
    return 0
  fi
  # The cluster id is kept in the state dir so a re-format reuses it.
  if [[ ! -s "$CLUSTER_ID_FILE" ]]; then
    local id
    id="$("$JAVA" -cp "$LIB_DIR/*" -Dlog4j2.configurationFile="$LOG_CONFIG" \
      kafka.tools.StorageTool random-uuid | grep -E '^[A-Za-z0-9_-]{22}$' | tail -n1 || true)"
    [[ -n "$id" ]] || die "could not generate a cluster id"
    echo "$id" >"$CLUSTER_ID_FILE"
  fi
  say "formatting storage in $DATA_DIR (cluster id $(cat "$CLUSTER_ID_FILE"))"
  # --standalone: this node is the only voter of a dynamic KRaft quorum.
  local scram=()
  mapfile -t scram < <(scram_arguments)
  "$JAVA" -cp "$LIB_DIR/*" -Dlog4j2.configurationFile="$LOG_CONFIG" \
    kafka.tools.StorageTool format --standalone "${scram[@]}" \
      --config "$CONFIG" --cluster-id "$(cat "$CLUSTER_ID_FILE")" >>"$STATE_DIR/format.log" 2>&1 \
    || { tail -n 20 "$STATE_DIR/format.log" >&2; die "storage format failed"; }
  echo "$CONTROLLER_PORT" >"$FORMATTED_PORT_FILE"
}

cmd_start() {
  local pid
  if pid="$(broker_pid)"; then
    if answers; then
      say "already running (pid $pid) on $HOST:$PORT"
    else
      say "already started (pid $pid), not answering yet; use 'ready' to wait"
    fi
    return 0
  fi
  rm -f "$PID_FILE"
  local p
  for p in "$PORT" "$CONTROLLER_PORT" $SASL_SSL_PORT; do
    port_in_use "$p" && die "port $HOST:$p is already in use by another process"
  done
  cmd_install
  command -v python3 >/dev/null || die "python3 is required for the readiness probe"
  mkdir -p "$STATE_DIR" "$DATA_DIR"
  write_config
  format_storage
  say "starting broker on $HOST:$PORT (controller $HOST:$CONTROLLER_PORT), log $LOG_FILE"
  {
    echo "==== $(date -u +%Y-%m-%dT%H:%M:%SZ) kafka.sh start (Kafka $KAFKA_VERSION)"
  } >>"$LOG_FILE"
  # setsid: own session, so the broker outlives the calling shell/terminal.
  # shellcheck disable=SC2086
  setsid nohup "$JAVA" $HEAP_OPTS \
    -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExplicitGCInvokesConcurrent \
    -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$LOG_CONFIG" \
    -Dkafka.logs.dir="$STATE_DIR" \
    -cp "$LIB_DIR/*" kafka.Kafka "$CONFIG" \
    >>"$LOG_FILE" 2>&1 </dev/null &
  echo $! >"$PID_FILE"
  # Wait for setsid/nohup to exec the JVM, so `ready` never mistakes the window for a death.
  for _ in $(seq 50); do broker_pid >/dev/null && break; sleep 0.1; done
  say "started (pid $(cat "$PID_FILE"))"
}

# ------------------------------------------------------------------ ready --

cmd_ready() {
  local timeout="${1:-90}"
  [[ "$timeout" =~ ^[0-9]+$ ]] || die "ready: timeout must be a number of seconds"
  local deadline=$((SECONDS + timeout))
  say "waiting up to ${timeout}s for the broker on $HOST:$PORT ..."
  while true; do
    if ! broker_pid >/dev/null; then
      echo "kafka: error: broker is not running (process died or never started)" >&2
      [[ -f "$LOG_FILE" ]] && { echo "---- last 40 lines of $LOG_FILE" >&2; tail -n 40 "$LOG_FILE" >&2; }
      return 1
    fi
    if answers; then
      say "ready on $HOST:$PORT"
      return 0
    fi
    if ((SECONDS >= deadline)); then
      echo "kafka: error: broker not ready after ${timeout}s" >&2
      echo "---- last 40 lines of $LOG_FILE" >&2
      tail -n 40 "$LOG_FILE" >&2 || true
      return 1
    fi
    sleep 0.5
  done
}

# ------------------------------------------------------------- stop/status --

cmd_stop() {
  local pid
  if ! pid="$(broker_pid)"; then
    rm -f "$PID_FILE"
    say "not running"
    return 0
  fi
  say "stopping broker (pid $pid) ..."
  kill -TERM "$pid" 2>/dev/null || true
  local i
  for ((i = 0; i < 300; i++)); do   # ~30 s for a controlled shutdown
    alive "$pid" || break
    sleep 0.1
  done
  if alive "$pid"; then
    say "still alive after 30s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do alive "$pid" || break; sleep 0.1; done
  fi
  rm -f "$PID_FILE"
  say "stopped"
}

cmd_status() {
  local pid
  if pid="$(broker_pid)"; then
    if answers; then
      echo "running (pid $pid, $HOST:$PORT)"
    else
      echo "running (pid $pid, not answering on $HOST:$PORT yet)"
    fi
  else
    echo "stopped"
  fi
}

usage() {
  echo "usage: $(basename "$0") install | start | ready [timeout_seconds] | stop | status" >&2
  exit 2
}

main() {
  local cmd="${1:-}"
  [[ $# -gt 0 ]] && shift
  case "$cmd" in
    install) cmd_install ;;
    start) cmd_start ;;
    ready) cmd_ready "$@" ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    *) usage ;;
  esac
}

main "$@"
