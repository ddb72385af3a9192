#!/usr/bin/env bash
# Runs every test of plproxy-ts, installing what the tests need first:
# npm packages, and (as root, with apt) the real PL/Proxy 2.10 and the
# PostgreSQL 15 server-dev files (pg_regress). Prints, as its last line,
# "N passed, N failed" (and ", N skipped").
#
# With CI=true a test whose prerequisite is missing fails instead of skipping.
set -uo pipefail
cd "$(dirname "$0")/.."

log() { printf '==> %s\n' "$*" >&2; }

need_apt=()
[ -f /usr/share/postgresql/15/extension/plproxy.control ] || need_apt+=(postgresql-15-plproxy)
[ -x /usr/lib/postgresql/15/lib/pgxs/src/test/regress/pg_regress ] || need_apt+=(postgresql-server-dev-15)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing ${need_apt[*]} with apt-get"
    apt-get update -qq >&2 || log "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >&2 || log "apt-get install failed"
  else
    log "missing ${need_apt[*]} and cannot install it (not root or no apt-get): tests that need it will skip, or fail with CI=true"
  fi
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm packages"
  npm install --no-audit --no-fund >&2 || { echo "0 passed, 1 failed"; exit 1; }
fi
log "building dist/"
npm run --silent build >&2 || { echo "0 passed, 1 failed"; exit 1; }

results=$(mktemp -t plproxy-ts-vitest-XXXXXX.json)
log "running vitest"
npx vitest run --reporter=default --reporter=json --outputFile.json="$results" >&2
status=$?
node -e '
  const fs = require("fs")
  let r = {}
  try { r = JSON.parse(fs.readFileSync(process.argv[1], "utf8")) } catch {}
  const passed = r.numPassedTests ?? 0
  let failed = r.numFailedTests ?? 0
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0)
  // a suite that failed to load counts as a failure
  failed += (r.testResults ?? []).filter((f) => f.status === "failed" && (f.assertionResults ?? []).length === 0).length
  if (!r.numTotalTests && process.argv[2] !== "0") failed = Math.max(failed, 1)
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`)
' "$results" "$status"
rm -f "$results"
exit $status
