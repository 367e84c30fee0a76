#!/usr/bin/env python3
"""Slow-client load: N connections that trickle their requests while a normal
client measures GET /api/health.

Half the slow connections send a header line a second and never finish the
head; the other half send a complete login head and then a body at one byte
a second. When the server closes one (header or body timeout), it reconnects
at once, so about N stay open. Meanwhile a separate process (so this event
loop's load does not skew it) asks /api/health over a fresh connection and
over a kept-alive one, every 50 ms. Prints latency p50/p99, what the slow
connections met, and the server's RSS and open descriptors.

Run the release binary with the rate limits off, or the login bodies would
be refused with 429 before they are read (the cheap case):

    RATELIMIT_ENABLED=false LOG_LEVEL=warn PORT=5000 target/release/stay-sidekick &
    python3 bench/slow_clients.py --port 5000 --pid $!

Python 3 standard library only.
"""

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import socket
import time
import urllib.request


def raise_nofile(wanted):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, wanted)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        raise SystemExit(f"open-files limit {soft} < {wanted}: raise the hard limit (ulimit -Hn)")


def server_sample(pid):
    """(RSS in MiB, open descriptors) of the server, or (None, None)."""
    if not pid:
        return None, None
    try:
        with open(f"/proc/{pid}/status") as status:
            rss = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
        return rss / 1024, len(os.listdir(f"/proc/{pid}/fd"))
    except (OSError, StopIteration):
        return None, None


class Stats:
    def __init__(self):
        self.open = 0
        self.opened = 0
        self.cut_head = 0
        self.cut_body = 0
        self.got_408 = 0
        self.other_answers = 0
        self.connect_failed = 0
        self.head_lives = []
        self.body_lives = []


async def slow_connection(kind, args, csrf, stats, gate, stop):
    """One slow client, reconnecting whenever the server closes it."""
    while not stop.is_set():
        async with gate:
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(args.host, args.port), 10
                )
            except (OSError, asyncio.TimeoutError):
                stats.connect_failed += 1
                await asyncio.sleep(1)
                continue
        stats.open += 1
        stats.opened += 1
        opened = time.monotonic()
        try:
            if kind == "head":
                writer.write(b"GET /api/health HTTP/1.1\r\nHost: bench\r\n")
            else:
                token, cookie = csrf
                writer.write(
                    (
                        "POST /api/auth/login HTTP/1.1\r\nHost: bench\r\n"
                        "Content-Type: application/json\r\n"
                        f"X-CSRF-Token: {token}\r\nCookie: {cookie}\r\n"
                        "Content-Length: 100000\r\n\r\n{"
                    ).encode()
                )
            sent = 0
            while not stop.is_set():
                try:
                    data = await asyncio.wait_for(reader.read(4096), args.interval)
                except asyncio.TimeoutError:
                    sent += 1
                    writer.write(b"X-Slow-%d: a\r\n" % sent if kind == "head" else b" ")
                    await writer.drain()
                    continue
                if data.startswith(b"HTTP/1.1 408"):
                    stats.got_408 += 1
                elif data:
                    stats.other_answers += 1
                    if stats.other_answers <= 3:
                        print("  unexpected answer:", data[:80])
                break
        except OSError:
            pass
        finally:
            stats.open -= 1
            writer.close()
        if not stop.is_set():
            life = time.monotonic() - opened
            if kind == "head":
                stats.cut_head += 1
                stats.head_lives.append(life)
            else:
                stats.cut_body += 1
                stats.body_lives.append(life)


def health_probe(host, port, seconds, out):
    """Runs in its own process: latencies (ms) of fresh and kept-alive requests."""
    request = b"GET /api/health HTTP/1.1\r\nHost: bench\r\n\r\n"

    def ask(sock):
        sock.sendall(request)
        data = b""
        while True:
            head, found, body = data.partition(b"\r\n\r\n")
            if found:
                length = next(
                    int(line.split(b":")[1])
                    for line in head.lower().split(b"\r\n")
                    if line.startswith(b"content-length:")
                )
                if len(body) >= length:
                    break
            chunk = sock.recv(4096)
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
        if not data.startswith(b"HTTP/1.1 200"):
            raise ConnectionError(data[:40])

    fresh, kept, errors = [], [], []
    kept_sock = None
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        started = time.perf_counter()
        try:
            with socket.create_connection((host, port), timeout=5) as sock:
                ask(sock)
            fresh.append((time.perf_counter() - started) * 1000)
        except OSError as err:
            errors.append(f"fresh: {err}")
        started = time.perf_counter()
        try:
            if kept_sock is None:
                kept_sock = socket.create_connection((host, port), timeout=5)
            ask(kept_sock)
            kept.append((time.perf_counter() - started) * 1000)
        except OSError as err:
            errors.append(f"kept-alive: {err}")
            kept_sock = None
        time.sleep(0.05)
    out.put(json.dumps({"fresh": fresh, "kept": kept, "errors": errors}))


def percentile(values, p):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def fetch_csrf(host, port):
    with urllib.request.urlopen(f"http://{host}:{port}/api/csrf-token", timeout=10) as answer:
        cookie = answer.headers["Set-Cookie"].split(";")[0]
        return json.load(answer)["csrf_token"], cookie


async def main(args):
    raise_nofile(args.connections + 256)
    csrf = fetch_csrf(args.host, args.port)
    rss0, fds0 = server_sample(args.pid)
    print(f"server before: RSS {rss0} MiB, {fds0} descriptors")
    stats, stop = Stats(), asyncio.Event()
    gate = asyncio.Semaphore(args.ramp)
    kinds = {"both": ["head", "body"], "head": ["head"], "body": ["body"]}[args.kind]
    tasks = [
        asyncio.create_task(
            slow_connection(kinds[i % len(kinds)], args, csrf, stats, gate, stop)
        )
        for i in range(args.connections)
    ]
    started = time.monotonic()
    while stats.open < args.connections * 0.98 and time.monotonic() - started < 60:
        await asyncio.sleep(0.5)
    print(f"ramp: {stats.open} slow connections open after {time.monotonic() - started:.1f} s")

    out = multiprocessing.Queue()
    probe = multiprocessing.Process(
        target=health_probe, args=(args.host, args.port, args.duration, out)
    )
    probe.start()
    peak_rss, peak_fds, min_open = 0.0, 0, stats.open
    while probe.is_alive():
        rss, fds = server_sample(args.pid)
        peak_rss, peak_fds = max(peak_rss, rss or 0), max(peak_fds, fds or 0)
        min_open = min(min_open, stats.open)
        await asyncio.sleep(1)
    result = json.loads(out.get())
    probe.join()
    open_at_end = stats.open
    stop.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)

    print(f"slow connections: {args.connections} wanted, {min_open}..{open_at_end} open "
          f"during the probe, {stats.opened} opened in all, {stats.connect_failed} connects failed")
    for name, lives in (("header", stats.head_lives), ("body", stats.body_lives)):
        if lives:
            print(f"  {name} tricklers cut by the server: {len(lives)}, "
                  f"after p50 {percentile(lives, 50):.1f} s (max {max(lives):.1f} s)")
    print(f"  408 answers: {stats.got_408}, other answers: {stats.other_answers}")
    for name in ("fresh", "kept"):
        values = result[name]
        print(f"/api/health {name:>5} connection: {len(values)} requests, "
              f"p50 {percentile(values, 50):.2f} ms, p99 {percentile(values, 99):.2f} ms, "
              f"max {max(values, default=float('nan')):.2f} ms")
    print(f"/api/health errors: {len(result['errors'])} {result['errors'][:3]}")
    print(f"server peak: RSS {peak_rss:.1f} MiB, {peak_fds} descriptors")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--pid", type=int, help="server process, for RSS and descriptors")
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--duration", type=float, default=60, help="seconds of health probing")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between trickles")
    parser.add_argument("--kind", choices=["both", "head", "body"], default="both",
                        help="what the slow connections trickle (both: half and half)")
    parser.add_argument("--ramp", type=int, default=200, help="connects in progress at once")
    asyncio.run(main(parser.parse_args()))
