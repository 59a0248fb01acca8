#!/usr/bin/env bash
# Local infrastructure for Roster without Docker: Apache Kafka (KRaft) and FerretDB on loopback.
#
# Usage: infra.sh up | down | status | install
#   up      install if needed (cached), start both, wait until both really answer
#   down    stop both (data stays in $ROSTER_STATE_DIR until `make clean`)
#
# Ports and folders: see kafka/kafka.sh and ferretdb/ferretdb.sh (ROSTER_* variables).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KAFKA="$HERE/kafka/kafka.sh"
FERRET="$HERE/ferretdb/ferretdb.sh"

case "${1:-}" in
  install)
    # Both downloads/builds are independent: run them side by side.
    bash "$KAFKA" install & k=$!
    bash "$FERRET" install & f=$!
    wait "$k"; wait "$f"
    ;;
  up)
    bash "$KAFKA" install & k=$!
    bash "$FERRET" install & f=$!
    wait "$k"; wait "$f"
    bash "$KAFKA" start
    bash "$FERRET" start
    bash "$FERRET" ready 60
    bash "$KAFKA" ready 120
    ;;
  down)
    bash "$KAFKA" stop || true
    bash "$FERRET" stop || true
    ;;
  status)
    bash "$KAFKA" status || true
    bash "$FERRET" status || true
    ;;
  *)
    echo "usage: $0 up|down|status|install" >&2
    exit 2
    ;;
esac
