#!/usr/bin/env bash
# Instructions per authenticated request (GET /api/auth/validacion), counted by
# callgrind: repeatable whatever else the machine is doing. The server runs
# under valgrind twice, with FEW and then MANY keep-alive requests; the
# difference divided by MANY - FEW is the per-request cost.
#
#   bash bench/callgrind.sh                          # target/release/stay-sidekick
#   bash bench/callgrind.sh OLD_BINARY NEW_BINARY    # two builds, one after the other
set -euo pipefail
FEW="${FEW:-200}"
MANY="${MANY:-1200}"
PORT="${PORT:-5103}"
command -v valgrind >/dev/null || { echo "valgrind is needed" >&2; exit 1; }
if [ $# -eq 0 ]; then
    cargo build --release --quiet --manifest-path "$(dirname "$0")/../Cargo.toml"
    set -- "$(dirname "$0")/../target/release/stay-sidekick"
fi

total() { # binary requests -> total instructions of the run
    local work; work="$(mktemp -d)"
    (
        cd "$work"
        "$1" create-superadmin --email b@example.com --password bench-password-1 --empresa B >/dev/null 2>&1
        PORT=$PORT RATELIMIT_ENABLED=false BCRYPT_CONCURRENCY=1 \
            valgrind --tool=callgrind --callgrind-out-file=cg.out "$1" >server.log 2>&1 &
        local pid=$!
        for _ in $(seq 600); do curl -sf "http://127.0.0.1:$PORT/api/health" >/dev/null && break; sleep 0.2; done
        python3 - "$PORT" "$2" <<'PY'
import http.client, json, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
c = http.client.HTTPConnection("127.0.0.1", port)
c.request("GET", "/api/csrf-token"); r = c.getresponse()
csrf = json.loads(r.read())["csrf_token"]
body = json.dumps({"email": "b@example.com", "password": "bench-password-1"})
c.request("POST", "/api/auth/login", body, {"Content-Type": "application/json",
          "X-CSRF-Token": csrf, "Cookie": "csrf_token=" + csrf})
token = json.loads(c.getresponse().read())["token"]
for _ in range(n):
    c.request("GET", "/api/auth/validacion", headers={"Authorization": "Bearer " + token})
    r = c.getresponse(); r.read()
    assert r.status == 200, r.status
PY
        kill -INT "$pid"; wait "$pid" 2>/dev/null || true
        awk '/^(summary|totals):/ {print $2; exit}' cg.out
    )
    rm -rf "$work"
}

for bin in "$@"; do
    few=$(total "$bin" "$FEW")
    many=$(total "$bin" "$MANY")
    echo "$bin: $(( (many - few) / (MANY - FEW) )) instructions per GET /api/auth/validacion"
done
