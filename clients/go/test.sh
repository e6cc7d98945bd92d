#!/usr/bin/env bash
# Builds the Go example offline from Debian's packages (GOPATH mode, no module downloads) and runs
# it against a real `thaiyyal serve` on a temporary socket: as the operator it creates a tenant,
# then logs in, creates, lists and runs a workflow and reads the audit log; a wrong password
# answers Unauthenticated and a taken slug AlreadyExists.
# THAIYYAL_BINARY names the server binary (see ../test-server.sh).
set -euo pipefail
cd "$(dirname "$0")"
export GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= GOCACHE="${GOCACHE:-/tmp/thaiyyal-gocache}"
mkdir -p bin
go build -o bin/thaiyyal-go-example .

# shellcheck source=../test-server.sh
source ../test-server.sh

output=$(THAIYYAL_PASSWORD='a long enough password' bin/thaiyyal-go-example -socket "$SOCKET" \
  -create-tenant -tenant acme -login owner -workflow "$DIR/times.json" -input '{"x": 4}')
echo "$output"
grep -q 'status 1 (1 is SERVING)' <<<"$output"
grep -q 'tenant acme created, owner owner' <<<"$output"
grep -q 'signed in as owner (Bearer token)' <<<"$output"
grep -q 'whoami: owner@acme.example.com in tenant acme' <<<"$output"
grep -q 'stored; 1 in the tenant' <<<"$output"
grep -q 'status 3 (3 is COMPLETED)' <<<"$output"
grep -q '"final_output":40' <<<"$output"
grep -q 'audit: execution.created' <<<"$output"

status=0
taken=$(THAIYYAL_PASSWORD='a long enough password' bin/thaiyyal-go-example -socket "$SOCKET" \
  -create-tenant -tenant acme -login owner 2>&1) || status=$?
[ "$status" -eq 1 ] && grep -q 'CreateTenant: AlreadyExists' <<<"$taken" || {
  echo "FAIL: a taken slug gave exit $status: $taken"
  exit 1
}

status=0
refused=$(THAIYYAL_PASSWORD='wrong password!' bin/thaiyyal-go-example -socket "$SOCKET" \
  -tenant acme -login owner 2>&1) || status=$?
[ "$status" -eq 1 ] && grep -q 'Login: Unauthenticated' <<<"$refused" || {
  echo "FAIL: a wrong password gave exit $status: $refused"
  exit 1
}
echo "ok   Go example: tenant, login, workflow create/list/run, audit; errors carry their codes"
