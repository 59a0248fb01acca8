#!/usr/bin/env bash
# Helm, built from the Go module proxy (no download site is reachable here) into
# $ROSTER_CACHE_DIR/bin/helm, for linting and rendering deploy/helm/roster without a cluster.
#
# Usage: helm.sh install | path | <helm arguments...>
#   install  build helm $HELM_VERSION unless that version is already built
#   path     print the binary's path (building it first if needed)
#   ...      run helm with these arguments (building it first if needed)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
CACHE_DIR="${ROSTER_CACHE_DIR:-$REPO_ROOT/.cache}"
HELM_VERSION="v3.22.0"
BIN="$CACHE_DIR/bin/helm"
STAMP="$BIN.version"

install() {
  if [[ -x "$BIN" && "$(cat "$STAMP" 2>/dev/null)" == "$HELM_VERSION" ]]; then
    return 0
  fi
  command -v go >/dev/null || { echo "helm: Go is required to build Helm" >&2; exit 1; }
  echo "helm: building helm $HELM_VERSION from the Go module proxy ..." >&2
  mkdir -p "$CACHE_DIR/bin"
  GOBIN="$CACHE_DIR/bin" CGO_ENABLED=0 GOFLAGS="-trimpath -buildvcs=false" \
    go install -ldflags "-s -w" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  echo "$HELM_VERSION" >"$STAMP"
}

case "${1:-}" in
  install) install ;;
  path) install; echo "$BIN" ;;
  "") echo "usage: $(basename "$0") install | path | <helm arguments>" >&2; exit 2 ;;
  *) install; exec "$BIN" "$@" ;;
esac
