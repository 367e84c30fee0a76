#!/usr/bin/env bash
# Two builds side by side on one machine: both servers up at once, then for
# each round and each build `GET /api/health`, `GET /api/auth/validacion` and
# `GET /api/apartamentos` (50 apartments) for DURATION seconds with wrk,
# alternating, so a busy machine slows both alike. Prints each figure and its
# ratio to the same build's health.
#
#   bash bench/compare.sh OLD_BINARY NEW_BINARY
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 OLD_BINARY NEW_BINARY" >&2; exit 2; }
DURATION="${DURATION:-4}"
ROUNDS="${ROUNDS:-3}"
command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null
WORK="$(mktemp -d)"
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

start() { # name binary port
    mkdir -p "$WORK/$1"
    (cd "$WORK/$1" && "$2" create-superadmin --email b@example.com --password bench-password-1 --empresa B >/dev/null 2>&1)
    (cd "$WORK/$1" && PORT=$3 RATELIMIT_ENABLED=false exec "$2" >server.log 2>&1) &
    PIDS+=($!)
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$3/api/health" >/dev/null && break; sleep 0.1; done
}
token() { # port
    python3 - "$1" <<'PY'
import http.client, json, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
c.request("GET", "/api/csrf-token"); csrf = json.loads(c.getresponse().read())["csrf_token"]
c.request("POST", "/api/auth/login", json.dumps({"email": "b@example.com", "password": "bench-password-1"}),
          {"Content-Type": "application/json", "X-CSRF-Token": csrf, "Cookie": "csrf_token=" + csrf})
print(json.loads(c.getresponse().read())["token"])
PY
}
rps() { wrk -t2 -c32 -d"${DURATION}s" "$@" | awk '/Requests\/sec/ {print $2}'; }

start old "$(realpath "$1")" 5101
start new "$(realpath "$2")" 5102
declare -A TOKEN=([5101]="$(token 5101)" [5102]="$(token 5102)")
for port in 5101 5102; do
    for i in $(seq 1 50); do
        curl -s -o /dev/null -H "Authorization: Bearer ${TOKEN[$port]}" -H 'Content-Type: application/json' \
            -d "{\"nombre\":\"Apartamento $i\",\"ciudad\":\"Sevilla\",\"direccion\":\"Calle Feria $i\",\"id_externo\":\"T$((i % 5))\"}" \
            "http://127.0.0.1:$port/api/apartamentos"
    done
done
ratio() { python3 -c "print(round($1 / $2, 3))"; }
for round in $(seq "$ROUNDS"); do
    for build in old:5101 new:5102; do
        name="${build%%:*}"; port="${build##*:}"
        health=$(rps "http://127.0.0.1:$port/api/health")
        auth=$(rps -H "Authorization: Bearer ${TOKEN[$port]}" "http://127.0.0.1:$port/api/auth/validacion")
        list=$(rps -H "Authorization: Bearer ${TOKEN[$port]}" "http://127.0.0.1:$port/api/apartamentos")
        echo "round $round $name: health $health  validacion $auth ($(ratio "$auth" "$health"))  apartamentos $list ($(ratio "$list" "$health"))"
    done
done
