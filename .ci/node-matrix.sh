#!/usr/bin/env bash
# Runs the Jest suite on other Node majors (default: 22 and 24).
#
# Each Node comes from the npm registry's `node` package, installed once into
# a cache folder and reused by later runs:
#   npm install --prefix "$CACHE/22" node@22  →  $CACHE/22/node_modules/.bin/node
# Jest itself is the repo's (node_modules/jest), run by that Node binary, so
# its workers use it too.
#
# Usage: .ci/node-matrix.sh [jest args...]      e.g. .ci/node-matrix.sh test/security
# Env:   NODE_MATRIX_VERSIONS  majors to run (default "22 24")
#        JWKS_AUTH_NODE_CACHE  cache folder (default /tmp/jwks-auth-node)
# Exits non-zero if any install or any suite fails; every version runs anyway.
set -uo pipefail
cd "$(dirname "$0")/.."

CACHE="${JWKS_AUTH_NODE_CACHE:-/tmp/jwks-auth-node}"
read -r -a VERSIONS <<<"${NODE_MATRIX_VERSIONS:-22 24}"
JEST=node_modules/jest/bin/jest.js

if [[ ! -f "$JEST" ]]; then
  echo "node-matrix: $JEST not found; install dependencies first (pnpm install)" >&2
  exit 2
fi

# Installs node@<major> into the cache unless a matching binary is already there.
ensure_node() {
  local major="$1" dir="$CACHE/$1" bin="$CACHE/$1/node_modules/.bin/node" have
  if [[ -x "$bin" ]]; then
    have="$("$bin" --version 2>/dev/null || true)"
    if [[ "$have" == "v$major."* ]]; then
      echo "$bin"
      return 0
    fi
    echo "node-matrix: cached $bin is '$have', reinstalling node@$major" >&2
    rm -rf "$dir"
  fi
  mkdir -p "$dir"
  echo "node-matrix: installing node@$major into $dir" >&2
  if ! npm install --prefix "$dir" --no-save --no-audit --no-fund --loglevel=error "node@$major" >&2; then
    return 1
  fi
  have="$("$bin" --version 2>/dev/null || true)"
  if [[ "$have" != "v$major."* ]]; then
    echo "node-matrix: node@$major installed but '$bin --version' says '$have'" >&2
    return 1
  fi
  echo "$bin"
}

declare -a SUMMARY=()
status=0
for major in "${VERSIONS[@]}"; do
  printf '\n=== Node %s\n' "$major"
  if ! bin="$(ensure_node "$major")"; then
    SUMMARY+=("Node $major: INSTALL FAILED")
    status=1
    continue
  fi
  version="$("$bin" --version)"
  start=$SECONDS
  # Same flags as the root "test" script; CI=true keeps Jest non-interactive.
  if CI="${CI:-true}" "$bin" --experimental-vm-modules --no-warnings=ExperimentalWarning "$JEST" "$@"; then
    SUMMARY+=("Node $version: PASS ($((SECONDS - start)) s)")
  else
    SUMMARY+=("Node $version: FAIL ($((SECONDS - start)) s)")
    status=1
  fi
done

printf '\n=== node-matrix summary\n'
printf '%s\n' "${SUMMARY[@]}"
exit "$status"
