#!/usr/bin/env bash
# Pack-and-import smoke test: what a user installs from the registry works.
#
#  1. pnpm build, then `pnpm pack` every package in packages/* into a temp dir
#     (pnpm rewrites `workspace:^` to the real version range).
#  2. Inspect each tarball: no `workspace:` left, entry points present.
#  3. A fresh npm project installs all tarballs together (so npm resolves
#     @jwks-auth/core from its tarball) plus the frameworks and their types
#     from the registry.
#  4. .ci/pack-smoke/esm-check.mjs: import() every package, check the exported
#     names, run Express, Koa and Fastify for real against a packed test issuer.
#  5. .ci/pack-smoke/cjs-check.cjs: require() every package (require(esm), no
#     flag on Node >= 20.19) and check the names.
#  6. A TypeScript consumer (.mts and .cts, module/moduleResolution nodenext,
#     strict, skipLibCheck false) compiles against the packed .d.ts files.
#  7. If .ci/node-matrix.sh has cached Node 22/24, steps 4-5 run on them too.
#
# Env: PNPM (default "npx --yes pnpm@10.34.9"), KEEP_PACK_SMOKE=1 keeps the
#      temp dir, JWKS_AUTH_NODE_CACHE as in node-matrix.sh.
# Exits non-zero on any failure, after printing a summary.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
PNPM="${PNPM:-npx --yes pnpm@10.34.9}"
FIXTURES="$ROOT/.ci/pack-smoke"
NODE_CACHE="${JWKS_AUTH_NODE_CACHE:-/tmp/jwks-auth-node}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/jwks-auth-pack.XXXXXX")"
TARBALLS="$WORK/tarballs"
APP="$WORK/app"
mkdir -p "$TARBALLS" "$APP"

declare -a SUMMARY=()
status=0
pass() { SUMMARY+=("PASS  $1"); }
fail() {
  SUMMARY+=("FAIL  $1")
  status=1
}
warn() { SUMMARY+=("WARN  $1"); }

finish() {
  printf '\n=== pack-smoke summary (node %s)\n' "$(node --version)"
  printf '%s\n' "${SUMMARY[@]}"
  if [[ "${KEEP_PACK_SMOKE:-}" == 1 || $status -ne 0 ]]; then
    echo "work dir kept: $WORK"
  else
    rm -rf "$WORK"
  fi
  exit "$status"
}

step() { printf '\n=== %s\n' "$1"; }

step "build"
if $PNPM build; then pass "pnpm build"; else
  fail "pnpm build"
  finish
fi

step "pack"
declare -a PACKED=()
for dir in packages/*/; do
  [[ -f "$dir/package.json" ]] || continue
  name="$(node -p "require('./${dir}package.json').name")"
  if out="$(cd "$dir" && $PNPM pack --pack-destination "$TARBALLS" 2>&1)"; then
    tarball="$(printf '%s\n' "$out" | grep -E '\.tgz$' | tail -1)"
    [[ "$tarball" == /* ]] || tarball="$TARBALLS/$(basename "$tarball")"
    PACKED+=("$tarball")
    pass "pack $name → $(basename "$tarball")"
  else
    printf '%s\n' "$out"
    fail "pack $name"
  fi
done
[[ ${#PACKED[@]} -gt 0 ]] || finish

step "inspect tarballs"
for tarball in "${PACKED[@]}"; do
  base="$(basename "$tarball")"
  manifest="$(tar -xzOf "$tarball" package/package.json)"
  listing="$(tar -tzf "$tarball")"
  if grep -q '"workspace:' <<<"$manifest"; then
    fail "$base: package.json still has a workspace: range"
  else
    pass "$base: no workspace: ranges"
  fi
  for entry in package/dist/index.js package/dist/index.d.ts; do
    grep -qx "$entry" <<<"$listing" || fail "$base: $entry missing"
  done
  if grep -q '\.tsbuildinfo$' <<<"$listing"; then warn "$base: ships dist/.tsbuildinfo (build cache)"; fi
  if grep -q '\.map$' <<<"$listing" && ! grep -q '^package/src/' <<<"$listing"; then
    warn "$base: ships source maps that point at src/, which is not packed"
  fi
done

step "install into a fresh project"
cp "$FIXTURES"/* "$APP"/
cat >"$APP/package.json" <<'JSON'
{ "name": "jwks-auth-pack-smoke", "version": "0.0.0", "private": true }
JSON
# Frameworks (peer dependencies) and their types, as a user would add them.
REGISTRY_DEPS=(express@^5 koa@^3 fastify@^5 hono@^4 @modelcontextprotocol/sdk@^1 @types/express@^5 @types/koa@^3 @types/node@^20)
if (cd "$APP" && npm install --no-audit --no-fund --prefer-offline --loglevel=error \
  "${PACKED[@]}" "${REGISTRY_DEPS[@]}"); then
  pass "npm install of ${#PACKED[@]} tarballs + ${REGISTRY_DEPS[*]}"
else
  fail "npm install"
  finish
fi
core_from="$(cd "$APP" && node -p "require('./node_modules/@jwks-auth/core/package.json').version")"
nested="$(cd "$APP" && find node_modules -path '*/node_modules/@jwks-auth/core' -not -path 'node_modules/@jwks-auth/core' | head -1)"
if [[ -z "$nested" ]]; then pass "one @jwks-auth/core ($core_from), shared by the adapters"; else
  fail "a second @jwks-auth/core was installed at $nested"
fi
# The CLI's bin is linked and runs from the installed tarball (what `npx @jwks-auth/cli` runs).
cli_version="$(node -p "require('./packages/cli/package.json').version")"
if out="$(cd "$APP" && ./node_modules/.bin/jwks-auth --version 2>&1)" && [[ "$out" == "$cli_version" ]]; then
  pass "jwks-auth bin runs (--version $out)"
else
  fail "jwks-auth bin: $out"
fi

run_checks() {
  local node_bin="$1" label="$2"
  if (cd "$APP" && "$node_bin" esm-check.mjs); then pass "$label: import() + exported names + adapters answer 200/401"; else
    fail "$label: ESM import check"
  fi
  if (cd "$APP" && "$node_bin" cjs-check.cjs); then pass "$label: require() (require(esm)) + exported names"; else
    fail "$label: CJS require check"
  fi
}

step "ESM and CJS checks on $(node --version)"
run_checks node "node $(node --version)"

step "TypeScript consumer (nodenext)"
TSC=(node "$ROOT/node_modules/typescript/bin/tsc")
TSC_VERSION="$("${TSC[@]}" --version | cut -d' ' -f2)"
if (cd "$APP" && "${TSC[@]}" -p tsconfig.json); then
  pass "tsc $TSC_VERSION: .mts and .cts consumers compile (nodenext, strict)"
else
  fail "TypeScript consumer does not compile"
fi
# Our declaration files must also hold up without skipLibCheck. Errors in
# third-party typings (e.g. @types/koa against a newer content-disposition)
# are reported but are not ours to fix.
lib_out="$(cd "$APP" && "${TSC[@]}" -p tsconfig.json --skipLibCheck false 2>&1)"
ours="$(grep -E 'node_modules/@jwks-auth/' <<<"$lib_out" || true)"
theirs="$(grep -E 'error TS' <<<"$lib_out" | grep -vE 'node_modules/@jwks-auth/' || true)"
if [[ -n "$ours" ]]; then
  printf '%s\n' "$ours"
  fail "type errors in the packed @jwks-auth/* declaration files (skipLibCheck false)"
else
  pass "packed @jwks-auth/* declaration files type-check with skipLibCheck false"
fi
if [[ -n "$theirs" ]]; then
  printf '%s\n' "$theirs"
  warn "third-party typings have $(wc -l <<<"$theirs") error(s) with skipLibCheck false (not in @jwks-auth/*)"
fi

for major in 22 24; do
  bin="$NODE_CACHE/$major/node_modules/.bin/node"
  if [[ -x "$bin" ]]; then
    step "ESM and CJS checks on $("$bin" --version)"
    run_checks "$bin" "node $("$bin" --version)"
  fi
done

finish
