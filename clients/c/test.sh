#!/usr/bin/env bash
# Runs the C example against a real `thaiyyal serve` on a temporary socket, under valgrind: as the
# operator it creates a tenant, then logs in, creates, lists and runs workflows and reads the audit
# log; a taken slug, an invalid workflow, a wrong password and an unreachable server each give
# their exit status and message; no run leaks or touches memory it should not.
# THAIYYAL_BINARY names the server binary (see ../test-server.sh).
set -euo pipefail
cd "$(dirname "$0")"
# shellcheck source=../test-server.sh
source ../test-server.sh
echo '{"nodes": [{"id": "a", "type": "teleport"}]}' > "$DIR/bad.json"

VALGRIND=(valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99)
failures=0
# expect NAME STATUS PATTERN -- COMMAND...: the exit status and a pattern in stdout+stderr.
expect() {
  local name=$1 want=$2 pattern=$3
  shift 4
  local output status=0
  output=$("$@" 2>&1) || status=$?
  if [ "$status" -ne "$want" ] || ! grep -q -- "$pattern" <<<"$output"; then
    echo "FAIL $name: exit $status (want $want), output:"
    echo "$output"
    failures=$((failures + 1))
  else
    echo "ok   $name"
  fi
}

export THAIYYAL_PASSWORD='a long enough password'
THAIYYAL_CREATE_TENANT=1 expect "as the operator create a tenant; log in, create, list and run" 0 \
  '"final_output":40' -- \
  "${VALGRIND[@]}" build/run_workflow "$SOCKET" acme owner "$DIR/times.json" '{"x": 4}'
expect "a second run lists both workflows" 0 \
  'workflows in the tenant: 2' -- \
  "${VALGRIND[@]}" build/run_workflow "$SOCKET" acme owner "$DIR/times.json" '{"x": 4}'
expect "the audit log has the execution" 0 'audit: execution.created' -- \
  "${VALGRIND[@]}" build/run_workflow "$SOCKET" acme owner "$DIR/times.json" '{"x": 4}'
THAIYYAL_CREATE_TENANT=1 expect "a taken slug is ALREADY_EXISTS" 1 'ALREADY_EXISTS' -- \
  "${VALGRIND[@]}" build/run_workflow "$SOCKET" acme owner "$DIR/times.json"
expect "an invalid workflow is INVALID_ARGUMENT with its violation" 1 \
  'INVALID_ARGUMENT.*(definition_json.nodes\[a\].type' -- \
  "${VALGRIND[@]}" build/run_workflow "$SOCKET" acme owner "$DIR/bad.json"
THAIYYAL_PASSWORD='wrong password!' expect "a wrong password is UNAUTHENTICATED" 1 \
  'UNAUTHENTICATED.*\[INVALID_CREDENTIALS\]' -- \
  "${VALGRIND[@]}" build/run_workflow "$SOCKET" acme owner "$DIR/times.json"
expect "no server is UNAVAILABLE" 3 'UNAVAILABLE' -- \
  "${VALGRIND[@]}" build/run_workflow "$DIR/missing.sock" acme owner "$DIR/times.json"
[ "$failures" -eq 0 ] || { echo "$failures C client check(s) failed"; exit 1; }
