#!/usr/bin/env bash
# `GET /api/health` of a release binary against the bare axum reference
# (`../shared/bench/bare-axum`), side by side: rounds alternate the two
# servers so a busy machine slows both alike. Per round: throughput, and the
# server's CPU per request split into user and kernel time (/proc/PID/stat),
# which says whether a gap is our code or the socket work.
#
#   bash bench/health_ratio.sh [BINARY]     # default target/release/stay-sidekick
#   ROUNDS=5 DURATION=4 LOG_LEVEL=warn bash bench/health_ratio.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-$PWD/target/release/stay-sidekick}"
ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-3}"
CONNECTIONS="${CONNECTIONS:-32}"
command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null
REF_SRC="$PWD/../shared/bench/bare-axum"
CARGO_TARGET_DIR="$PWD/target/bare-axum" cargo build --release --quiet --locked --manifest-path "$REF_SRC/Cargo.toml"
REF_BIN="$PWD/target/bare-axum/release/bare-axum"

WORK="$(mktemp -d)"
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT
OURS_PORT=$((20000 + RANDOM % 20000))
REF_PORT=$((OURS_PORT + 1))
(cd "$WORK" && PORT=$OURS_PORT RATELIMIT_ENABLED=false LOG_LEVEL="${LOG_LEVEL:-info}" exec "$BIN" >/dev/null 2>"$WORK/ours.log") &
PIDS+=($!)
OURS=$!
"$REF_BIN" "$REF_PORT" >/dev/null 2>&1 &
PIDS+=($!)
REF=$!
for port in $OURS_PORT $REF_PORT; do
    for _ in $(seq 200); do curl -sf "http://127.0.0.1:$port/api/health" >/dev/null && break; sleep 0.05; done
done

TICK=$(getconf CLK_TCK)
# Prints "requests/s user_us_per_request kernel_us_per_request".
measure() { # pid port
    local before after out
    before=$(awk '{print $14, $15}' "/proc/$1/stat")
    out=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" "http://127.0.0.1:$2/api/health")
    after=$(awk '{print $14, $15}' "/proc/$1/stat")
    python3 - "$out" "$before" "$after" "$TICK" <<'PY'
import re, sys
out, before, after, tick = sys.argv[1], sys.argv[2].split(), sys.argv[3].split(), int(sys.argv[4])
reqs = int(re.search(r"(\d+) requests in", out).group(1))
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
user = (int(after[0]) - int(before[0])) * 1e6 / tick / reqs
kernel = (int(after[1]) - int(before[1])) * 1e6 / tick / reqs
print(f"{rps:.0f} {user:.2f} {kernel:.2f}")
PY
}

# Warm both.
wrk -t1 -c4 -d1s "http://127.0.0.1:$OURS_PORT/api/health" >/dev/null
wrk -t1 -c4 -d1s "http://127.0.0.1:$REF_PORT/api/health" >/dev/null
echo "round  bare axum: req/s  user µs  kernel µs | ours: req/s  user µs  kernel µs | ratio"
RATIOS=()
for round in $(seq "$ROUNDS"); do
    read -r r_rps r_user r_kernel < <(measure "$REF" "$REF_PORT")
    read -r o_rps o_user o_kernel < <(measure "$OURS" "$OURS_PORT")
    ratio=$(python3 -c "print(f'{$o_rps / $r_rps:.2f}')")
    RATIOS+=("$ratio")
    printf '%5s  %16s  %7s  %9s | %11s  %7s  %9s | %s\n' "$round" "$r_rps" "$r_user" "$r_kernel" "$o_rps" "$o_user" "$o_kernel" "$ratio"
done
echo "health / bare axum, median of $ROUNDS rounds: $(printf '%s\n' "${RATIOS[@]}" | sort -n | sed -n "$(( (ROUNDS + 1) / 2 ))p")"
