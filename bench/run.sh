#!/usr/bin/env bash
# Load benchmark of the release binary on SQLite, with wrk (installed from
# Debian if missing). Prints throughput, latency, server CPU per request and
# memory; docs/performance.md records the figures and this command.
#
#   bash bench/run.sh              # all scenarios, 10 s each
#   DURATION=5 bash bench/run.sh   # shorter
#   BIN=path/to/stay-sidekick bash bench/run.sh   # another build (e.g. an older commit)
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${DURATION:-10}"
CONNECTIONS="${CONNECTIONS:-32}"
PORT="${PORT:-5077}"
BASE="http://127.0.0.1:$PORT"

if ! command -v wrk >/dev/null; then
    echo "installing wrk" >&2
    (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null
fi
if [ -z "${BIN:-}" ]; then
    cargo build --release --quiet
    BIN="$PWD/target/release/stay-sidekick"
fi
# The 160-row catalogue: the shared fixture when it is beside the repo, else one made like it.
FIXTURE="$PWD/../shared/fixtures/apartamentos_mock.xlsx"
SHEET="$(mktemp --suffix=.xlsx)"
if [ -f "$FIXTURE" ]; then cp "$FIXTURE" "$SHEET"; else cargo run --release --quiet --example catalogue_xlsx -- "$SHEET" 160; fi

# The one-day reservations export (about 9 KB) for the heat map, the same way.
DAY_FIXTURE="$PWD/../shared/fixtures/junio-1-dia-mock.xlsx"
DAY="$(mktemp --suffix=.xlsx)"
if [ -f "$DAY_FIXTURE" ]; then cp "$DAY_FIXTURE" "$DAY"; else cargo run --release --quiet --example reservations_xlsx -- "$DAY" 11; fi
MOCK_SMOOBU="$PWD/bench/mock_smoobu.py"
MOCK=
# The reference: a bare axum server answering /api/health with the same body
# (../shared/bench/bare-axum, built by bench/health_ratio.sh). NO_REFERENCE=1 skips it.
RATIO=
if [ -d "$PWD/../shared/bench/bare-axum" ] && [ -z "${NO_REFERENCE:-}" ]; then
    RATIO="$PWD/bench/health_ratio.sh"
fi

WORK="$(mktemp -d)"
trap 'kill "$SERVER" $MOCK 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK" "$SHEET" "$DAY"' EXIT
# Late check-ins: the same one-day export, and 49,999 rows in its columns
# (50,000 with the header: the reader's row cap).
cp "$DAY" "$WORK/day.xlsx"
cargo run --release --quiet --example reservations_xlsx -- "$WORK/big.xlsx" 49999
# How the import preview grows: 5,000 catalogue rows beside the 160-row fixture.
cargo run --release --quiet --example catalogue_xlsx -- "$WORK/catalogue5k.xlsx" 5000
cd "$WORK"

EMAIL=bench@example.com
PASSWORD=bench-password-1
"$BIN" create-superadmin --email "$EMAIL" --password "$PASSWORD" --empresa Bench >/dev/null 2>&1

# Start to first healthy answer, measured from the process's spawn.
# Private PMS endpoints: the heat map's mock Smoobu listens on loopback.
export PORT RATELIMIT_ENABLED=false LOG_LEVEL="${LOG_LEVEL:-info}" ALLOW_PRIVATE_PMS_ENDPOINTS=true
read -r SERVER STARTUP_MS < <(python3 - "$BIN" "$BASE" <<'PY'
import subprocess, sys, time, urllib.request
bin_, base = sys.argv[1], sys.argv[2]
log = open("server.log", "w")
t0 = time.monotonic()
p = subprocess.Popen([bin_], stdout=log, stderr=log, start_new_session=True)
while True:
    try:
        if urllib.request.urlopen(base + "/api/health", timeout=1).status == 200:
            break
    except Exception:
        time.sleep(0.001)
print(p.pid, round((time.monotonic() - t0) * 1000, 1))
PY
)

cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER/stat"; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$SERVER/status"; }
hwm_kib() { awk '/^VmHWM/ {print $2}' "/proc/$SERVER/status"; }
TICK=$(getconf CLK_TCK)
IDLE_RSS=$(rss_kib)

# One CSRF pair and one access token for the scenarios.
CSRF_JSON=$(curl -s -c cookies "$BASE/api/csrf-token")
CSRF=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["csrf_token"])' "$CSRF_JSON")
TOKEN=$(curl -s -b cookies -H "X-CSRF-Token: $CSRF" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}" "$BASE/api/auth/login" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')

# 50 apartments for the catalogue list.
for i in $(seq 1 50); do
    curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
        -d "{\"nombre\":\"Apartamento $i\",\"ciudad\":\"Sevilla\",\"direccion\":\"Calle Feria $i\",\"id_externo\":\"T$((i % 5))\"}" \
        "$BASE/api/apartamentos"
done

# 10 vault templates for the template list (the original: 640 req/s).
for i in $(seq 1 10); do
    curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
        -d "{\"nombre\":\"Plantilla $i\",\"contenido\":\"Hola {NOMBRE}, te esperamos en {APARTAMENTO} a las {HORA_LLEGADA}.\",\"categoria\":\"BIENVENIDA\"}" \
        "$BASE/api/vault/plantillas"
done
cat > template.lua <<LUA
wrk.method = "POST"
wrk.body = '{"nombre":"Carga","contenido":"Hola {NOMBRE}, tu apartamento {APARTAMENTO} te espera.","idioma":"es"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $TOKEN"
LUA

# The fixture's columns: id 5 (Código), name 2, address 4, city 11.
curl -s -o /dev/null -X PUT -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d '{"col_id_externo":5,"col_nombre":2,"col_direccion":4,"col_ciudad":11}' "$BASE/api/perfil/xlsx-apartamentos"
cat > preview.lua <<LUA
local f = io.open("$SHEET", "rb")
local data = f:read("*all")
f:close()
local boundary = "----stay-sidekick-bench"
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $TOKEN"
wrk.headers["Content-Type"] = "multipart/form-data; boundary=" .. boundary
wrk.body = "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"apartamentos.xlsx\"\r\n" ..
  "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n" .. data ..
  "\r\n--" .. boundary .. "--\r\n"
LUA
PREVIEW_ROWS=$(curl -s -H "Authorization: Bearer $TOKEN" -F "file=@$SHEET;filename=apartamentos.xlsx" "$BASE/api/apartamentos/importacion/preview" |
    python3 -c 'import json,sys; p=json.load(sys.stdin)["preview"]; print(len(p["nuevos"])+len(p["actualizados"])+len(p["sin_cambios"]), "rows,", len(p["errores"]), "errors")')
echo "preview of the 160-row catalogue: $PREVIEW_ROWS"

# Heat map from two ~9 KB spreadsheets (check-ins in C, check-outs in D).
curl -s -o /dev/null -X PUT -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d '{"col_fecha_checkin":"C","col_fecha_checkout":"D"}' "$BASE/api/heatmap/config-xlsx"
cat > heatmap.lua <<LUA
local f = io.open("$DAY", "rb")
local data = f:read("*all")
f:close()
local boundary = "----stay-sidekick-bench"
local function file(name)
  return "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"" .. name .. "\"; filename=\"" .. name .. ".xlsx\"\r\n" ..
    "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n" .. data .. "\r\n"
end
local function field(name, value)
  return "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"" .. name .. "\"\r\n\r\n" .. value .. "\r\n"
end
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $TOKEN"
wrk.headers["Content-Type"] = "multipart/form-data; boundary=" .. boundary
wrk.body = file("checkins") .. file("checkouts") .. field("desde", "2026-06-01") .. field("hasta", "2026-06-30") .. "--" .. boundary .. "--\r\n"
LUA
HEATMAP_DAYS=$(curl -s -H "Authorization: Bearer $TOKEN" -F "checkins=@$DAY;filename=checkins.xlsx" -F "checkouts=@$DAY;filename=checkouts.xlsx" \
    -F desde=2026-06-01 -F hasta=2026-06-30 "$BASE/api/heatmap/xlsx" |
    python3 -c 'import json,sys; d=json.load(sys.stdin)["dias"]; print(len(d), "days,", sum(x["checkins"] for x in d), "check-ins,", sum(x["checkouts"] for x in d), "check-outs")')
echo "heat map of the two ~9 KB spreadsheets ($(stat -c %s "$DAY") bytes each): $HEATMAP_DAYS"
# The fixture's letters (original-domain.md 3.4): guest S, check-in C, time AV, phone O, code BJ.
curl -s -o /dev/null -X PUT -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d '{"hora_corte":"20:00","col_nombre":"S","col_checkin":"C","col_hora_llegada":"AV","col_telefono":"O","col_apartamento":"BJ"}' \
    "$BASE/api/perfil/notificaciones-tardio-config"
sed -e "s#$SHEET#$WORK/day.xlsx#" -e 's/apartamentos.xlsx/reservas.xlsx/' preview.lua > late.lua
LATE_ROWS=$(curl -s -H "Authorization: Bearer $TOKEN" -F "file=@day.xlsx;filename=reservas.xlsx" "$BASE/api/notificaciones/checkin-tardio/checkins" |
    python3 -c 'import json,sys; b=json.load(sys.stdin); print(len(b["checkins"]), "late,", len(b.get("warnings", [])), "warnings")')
echo "late check-ins of the one-day fixture: $LATE_ROWS"

# One upload after another of the 50,000-row sheet: CPU per upload and per row.
big_upload() {
    local runs=5 before after start end
    curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" -F "file=@big.xlsx;filename=reservas.xlsx" "$BASE/api/notificaciones/checkin-tardio/checkins"
    before=$(cpu_ticks); start=$(date +%s.%N)
    for _ in $(seq "$runs"); do
        curl -s -o big.json -H "Authorization: Bearer $TOKEN" -F "file=@big.xlsx;filename=reservas.xlsx" "$BASE/api/notificaciones/checkin-tardio/checkins"
    done
    after=$(cpu_ticks); end=$(date +%s.%N)
    python3 - "$before" "$after" "$start" "$end" "$runs" "$TICK" "$(stat -c %s big.xlsx)" <<'PY'
import json, sys
before, after, start, end, runs, tick, size = sys.argv[1:]
body = json.load(open("big.json"))
cpu_ms = (int(after) - int(before)) * 1000 / int(tick) / int(runs)
wall_ms = (float(end) - float(start)) * 1000 / int(runs)
print(f"late check-ins, 49,999 rows ({int(size) / 1048576:.1f} MiB, {len(body['checkins'])} late): "
      f"{wall_ms:.0f} ms per upload, server CPU {cpu_ms:.0f} ms ({cpu_ms * 1000 / 49999:.2f} µs per row)")
PY
}

# How cost grows with size: the catalogue list at 50 and 500 apartments (the
# largest customers), the import preview at 160 and 5,000 rows; server CPU per
# request and per row, and the peak RSS the 5,000-row previews leave (bounded
# by the upload cap, not by the rows).
scaling() {
    local before after
    sed -e "s#$SHEET#$WORK/catalogue5k.xlsx#" preview.lua > preview5k.lua
    PREVIEW5K_ROWS=$(curl -s -H "Authorization: Bearer $TOKEN" -F "file=@catalogue5k.xlsx;filename=apartamentos.xlsx" "$BASE/api/apartamentos/importacion/preview" |
        python3 -c 'import json,sys; p=json.load(sys.stdin)["preview"]; print(len(p["nuevos"])+len(p["actualizados"])+len(p["sin_cambios"]), "rows,", len(p["errores"]), "errors")')
    echo "  preview of the 5,000-row catalogue ($(( $(stat -c %s catalogue5k.xlsx) / 1024 )) KiB): $PREVIEW5K_ROWS"
    before=$(hwm_kib)
    scenario "POST .../preview (5,000 rows)" -t2 -c4 -d"${DURATION}s" -s preview5k.lua "$BASE/api/apartamentos/importacion/preview"
    after=$(hwm_kib)
    echo "  peak RSS: $((before / 1024)) MiB before the 5,000-row previews, $((after / 1024)) MiB after"
    # 450 more apartments: the 500-apartment catalogue.
    for i in $(seq 51 500); do
        curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
            -d "{\"nombre\":\"Apartamento $i\",\"ciudad\":\"Sevilla\",\"direccion\":\"Calle Feria $i\",\"id_externo\":\"T$((i % 5))\"}" \
            "$BASE/api/apartamentos"
    done
    scenario "GET /api/apartamentos (500)" -t2 -c"$CONNECTIONS" -d"${DURATION}s" -H "Authorization: Bearer $TOKEN" "$BASE/api/apartamentos"
}

cat > login.lua <<LUA
wrk.method = "POST"
wrk.body = '{"email":"$EMAIL","password":"$PASSWORD"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-CSRF-Token"] = "$CSRF"
wrk.headers["Cookie"] = "csrf_token=$CSRF"
LUA

# Runs wrk and prints: requests/s, p50, p99, non-2xx count, CPU ms per request.
scenario() {
    local name="$1"; shift
    local before after out reqs
    before=$(cpu_ticks)
    out=$(wrk --latency "$@")
    after=$(cpu_ticks)
    reqs=$(echo "$out" | awk '/requests in/ {print $1}')
    python3 - "$name" "$out" "$before" "$after" "$reqs" "$TICK" <<'PY'
import re, sys
name, out, before, after, reqs, tick = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
rps = re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)
lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M))
bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
cpu_ms = (after - before) * 1000 / tick / max(reqs, 1)
print(f"{name:<28} {float(rps):>10.1f} req/s   p50 {lat.get('50','?'):>8}   p99 {lat.get('99','?'):>8}   "
      f"non-2xx {bad.group(1) if bad else 0:>5}   server CPU {cpu_ms:.4f} ms/req")
PY
}

echo "start to healthy: ${STARTUP_MS} ms   idle RSS: $((IDLE_RSS / 1024)) MiB"
echo "scenario                       throughput     latency                           cost"
scenario "GET /api/health" -t2 -c"$CONNECTIONS" -d"${DURATION}s" "$BASE/api/health"

# Health against the reference, side by side (bench/health_ratio.sh: its own
# two servers, alternating rounds, user and kernel CPU per request).
if [ -n "$RATIO" ]; then
    CONNECTIONS="$CONNECTIONS" ROUNDS=3 DURATION="$((DURATION / 2 > 2 ? DURATION / 2 : 2))" \
        bash "$RATIO" "$BIN" | sed 's/^/  /'
fi
scenario "GET /api/auth/validacion" -t2 -c"$CONNECTIONS" -d"${DURATION}s" -H "Authorization: Bearer $TOKEN" "$BASE/api/auth/validacion"
scenario "GET /api/apartamentos (50)" -t2 -c"$CONNECTIONS" -d"${DURATION}s" -H "Authorization: Bearer $TOKEN" "$BASE/api/apartamentos"
scenario "GET /api/vault/plantillas (10)" -t2 -c"$CONNECTIONS" -d"${DURATION}s" -H "Authorization: Bearer $TOKEN" "$BASE/api/vault/plantillas"
scenario "POST /api/vault/plantillas" -t2 -c"$CONNECTIONS" -d"${DURATION}s" -s template.lua "$BASE/api/vault/plantillas"
scenario "POST .../importacion/preview" -t2 -c4 -d"${DURATION}s" -s preview.lua "$BASE/api/apartamentos/importacion/preview"
scenario "POST /api/heatmap/xlsx (2x9KB)" -t2 -c4 -d"${DURATION}s" -s heatmap.lua "$BASE/api/heatmap/xlsx"
scenario "POST .../checkin-tardio/checkins" -t2 -c4 -d"${DURATION}s" -s late.lua "$BASE/api/notificaciones/checkin-tardio/checkins"
big_upload
scenario "POST /api/auth/login" -t2 -c"$CONNECTIONS" -d"${DURATION}s" -s login.lua "$BASE/api/auth/login"

# Health latency while logins saturate the hashing pool.
wrk -t1 -c16 -d"$((DURATION + 2))s" -s login.lua "$BASE/api/auth/login" >/dev/null &
STORM=$!
sleep 1
scenario "GET /api/health (login storm)" -t1 -c4 -d"${DURATION}s" "$BASE/api/health"
wait "$STORM"

echo "RSS after load: $(( $(rss_kib) / 1024 )) MiB   peak RSS: $(( $(hwm_kib) / 1024 )) MiB"

# PMS heat map: 400 days against a local mock Smoobu with 200 pages of 100
# bookings per query (20,000 arrivals and 20,000 departures), one request at
# a time: wall time per request, and the peak RSS it leaves (streamed page by
# page, so it must not grow with the pages).
MOCK_PORT=$((PORT + 1))
PMS_PAGES="${PMS_PAGES:-200}"
python3 "$MOCK_SMOOBU" "$MOCK_PORT" "$PMS_PAGES" &
MOCK=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$MOCK_PORT/health" >/dev/null && break; sleep 0.05; done
curl -s -o /dev/null -X PUT -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d "{\"proveedor\":\"smoobu\",\"api_key\":\"bench-key:bench-secret\",\"endpoint\":\"http://127.0.0.1:$MOCK_PORT\"}" "$BASE/api/apartamentos/pms"
PMS_URL="$BASE/api/heatmap?desde=2026-01-01&hasta=2027-02-04"
# The first request also makes the mock build its pages: not timed.
PMS_COUNTS=$(curl -s -H "Authorization: Bearer $TOKEN" "$PMS_URL" |
    python3 -c 'import json,sys; d=json.load(sys.stdin)["dias"]; print(len(d), "days,", sum(x["checkins"] for x in d), "check-ins,", sum(x["checkouts"] for x in d), "check-outs")')
HWM_BEFORE=$(hwm_kib)
CPU_BEFORE=$(cpu_ticks)
TIMES=$(for _ in $(seq "${PMS_RUNS:-10}"); do curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $TOKEN" "$PMS_URL"; done)
CPU_AFTER=$(cpu_ticks)
python3 - "$TIMES" "$PMS_COUNTS" "$HWM_BEFORE" "$(hwm_kib)" "$CPU_BEFORE" "$CPU_AFTER" "$TICK" "$PMS_PAGES" <<'PY'
import statistics, sys
times = sorted(float(t) * 1000 for t in sys.argv[1].split())
counts, before, after = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
cpu = (int(sys.argv[6]) - int(sys.argv[5])) * 1000 / int(sys.argv[7]) / len(times)
print(f"GET /api/heatmap, 400 days, 2 x {sys.argv[8]} pages: {counts}")
print(f"  wall per request: p50 {statistics.median(times):.0f} ms, max {times[-1]:.0f} ms ({len(times)} runs)   "
      f"server CPU {cpu:.1f} ms/req   peak RSS {before // 1024} MiB before, {after // 1024} MiB after")
PY

# Contacts CSV export of a 2,000-reservation range (20 pages of 100) from a
# second mock Smoobu, one request at a time: server CPU per request and per
# reservation (PMS pages read and parsed, guests grouped and named, CSV written).
CSV_PORT=$((PORT + 3))
CSV_PAGES="${CSV_PAGES:-20}"
python3 "$MOCK_SMOOBU" "$CSV_PORT" "$CSV_PAGES" &
MOCK="$MOCK $!"
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$CSV_PORT/health" >/dev/null && break; sleep 0.05; done
curl -s -o /dev/null -X PUT -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d "{\"proveedor\":\"smoobu\",\"api_key\":\"bench-key:bench-secret\",\"endpoint\":\"http://127.0.0.1:$CSV_PORT\"}" "$BASE/api/apartamentos/pms"
CSV_URL="$BASE/api/contactos/exportacion/csv"
CSV_BODY='{"desde":"2026-01-01","hasta":"2026-12-31"}'
# The first request also makes the mock build its pages: not timed.
CSV_ROWS=$(curl -s -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d "$CSV_BODY" "$CSV_URL" | wc -l)
CPU_BEFORE=$(cpu_ticks)
CSV_TIMES=$(for _ in $(seq "${CSV_RUNS:-20}"); do curl -s -o /dev/null -w '%{time_total}\n' -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d "$CSV_BODY" "$CSV_URL"; done)
CPU_AFTER=$(cpu_ticks)
python3 - "$CSV_TIMES" "$CSV_ROWS" "$CPU_BEFORE" "$CPU_AFTER" "$TICK" "$CSV_PAGES" <<'PY'
import statistics, sys
times = sorted(float(t) * 1000 for t in sys.argv[1].split())
rows, pages = int(sys.argv[2]), int(sys.argv[6])
cpu = (int(sys.argv[4]) - int(sys.argv[3])) * 1000 / int(sys.argv[5]) / len(times)
reservations = pages * 100
print(f"POST /api/contactos/exportacion/csv, {reservations} reservations ({pages} pages): {rows - 1} CSV rows")
print(f"  wall per request: p50 {statistics.median(times):.0f} ms, max {times[-1]:.0f} ms ({len(times)} runs)   "
      f"server CPU {cpu:.1f} ms/req, {cpu * 1000 / reservations:.2f} us per reservation")
PY

# Last, since it grows the catalogue the scenarios above read.
echo "scenario                       throughput     latency                           cost"
scaling
