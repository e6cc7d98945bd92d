# Sourced by the clients' test scripts: starts `thaiyyal serve` on a temporary data directory and
# socket, waits until it answers, and stops it and removes the directory when the script exits.
# Sets DIR (the temporary directory), SOCKET and BINARY (THAIYYAL_BINARY, default the repository's
# .build/debug/thaiyyal), and writes DIR/times.json, a workflow whose output is 10 × input.x.
BINARY="${THAIYYAL_BINARY:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.build/debug/thaiyyal}"
DIR=$(mktemp -d /tmp/thy-client-XXXXXX)
SOCKET="$DIR/s.sock"
"$BINARY" serve --data-dir "$DIR/data" --socket "$SOCKET" --log-format json 2>/dev/null &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$DIR"' EXIT
for _ in $(seq 1 200); do
  "$BINARY" health --socket "$SOCKET" >/dev/null 2>&1 && break
  sleep 0.05
done
cat > "$DIR/times.json" <<'JSON'
{"nodes": [{"id": "n", "data": {"value": 10}}, {"id": "e", "data": {"expression": "input * variables.input.x"}}],
 "edges": [{"source": "n", "target": "e"}]}
JSON
