#!/usr/bin/env bash
# Hostile spreadsheets against the release binary (issue 13, items 2-3): the
# server's extra RSS for one upload and for 20 at once, the time budget on a
# sheet whose cells lie past its columns, and another company's latency while
# one company sends such sheets. docs/security.md records the figures.
#
#   bash bench/hostile_sheets.sh
#   BIN=path/to/stay-sidekick bash bench/hostile_sheets.sh
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$PWD"
PORT="${PORT:-5081}"
BASE="http://127.0.0.1:$PORT"
if [ -z "${BIN:-}" ]; then
    cargo build --release --quiet
    BIN="$PWD/target/release/stay-sidekick"
fi
BIN="$(realpath "$BIN")"
WORK="$(mktemp -d)"
SERVER=
trap 'kill "$SERVER" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT
cd "$WORK"
"$BIN" create-superadmin --email a@example.com --password bench-password-1 --empresa A >/dev/null 2>&1
"$BIN" create-superadmin --email b@example.com --password bench-password-1 --empresa B >/dev/null 2>&1
PORT=$PORT RATELIMIT_ENABLED=false LOG_LEVEL=warn "$BIN" >server.log 2>&1 &
SERVER=$!
for _ in $(seq 100); do curl -sf "$BASE/api/health" >/dev/null && break; sleep 0.05; done
token() {
    python3 - "$BASE" "$1" <<'PY'
import http.client, json, sys, urllib.parse
host = urllib.parse.urlparse(sys.argv[1])
c = http.client.HTTPConnection(host.hostname, host.port)
c.request("GET", "/api/csrf-token"); csrf = json.loads(c.getresponse().read())["csrf_token"]
c.request("POST", "/api/auth/login", json.dumps({"email": sys.argv[2], "password": "bench-password-1"}),
          {"Content-Type": "application/json", "X-CSRF-Token": csrf, "Cookie": "csrf_token=" + csrf})
print(json.loads(c.getresponse().read())["token"])
PY
}
python3 "$REPO/bench/hostile_sheets.py" "$BASE" "$SERVER" "$(token a@example.com)" "$(token b@example.com)"
