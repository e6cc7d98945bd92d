#!/usr/bin/env bash
# Builds the Go example offline from Debian's packages (GOPATH mode, no module downloads) and runs
# it against a real `thaiyyal serve` on a temporary socket: health, login and whoami succeed, a
# wrong password answers Unauthenticated.
# THAIYYAL_BINARY names the server binary (default: the repository's .build/debug/thaiyyal).
set -euo pipefail
cd "$(dirname "$0")"
BINARY="${THAIYYAL_BINARY:-$(cd ../.. && pwd)/.build/debug/thaiyyal}"
export GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= GOCACHE="${GOCACHE:-/tmp/thaiyyal-gocache}"
mkdir -p bin
go build -o bin/thaiyyal-go-example .

DIR=$(mktemp -d /tmp/thy-go-XXXXXX)
SOCKET="$DIR/s.sock"
"$BINARY" serve --data-dir "$DIR/data" --socket "$SOCKET" --log-format json 2>/dev/null &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$DIR"' EXIT
for _ in $(seq 1 200); do
  "$BINARY" health --socket "$SOCKET" >/dev/null 2>&1 && break
  sleep 0.05
done
echo 'a long enough password' | "$BINARY" tenant create --socket "$SOCKET" --slug acme --name Acme \
  --owner-email owner@acme.io --owner-username owner --password-stdin >/dev/null

output=$(THAIYYAL_PASSWORD='a long enough password' bin/thaiyyal-go-example -socket "$SOCKET" \
  -tenant acme -login owner)
echo "$output"
grep -q 'status 1 (1 is SERVING)' <<<"$output"
grep -q 'signed in as owner (Bearer token)' <<<"$output"
grep -q 'whoami: owner@acme.io in tenant acme' <<<"$output"

status=0
refused=$(THAIYYAL_PASSWORD='wrong password!' bin/thaiyyal-go-example -socket "$SOCKET" \
  -tenant acme -login owner 2>&1) || status=$?
[ "$status" -eq 1 ] && grep -q 'Login: Unauthenticated' <<<"$refused" || {
  echo "FAIL: a wrong password gave exit $status: $refused"
  exit 1
}
echo "ok   Go example: health, login, whoami; a wrong password is Unauthenticated"
