#!/usr/bin/env python3
"""A mock Smoobu for the benchmark: GET /api/reservations answers PAGES pages of
100 bookings for any arrivalFrom/arrivalTo or departureFrom/departureTo range,
the dates spread over the range (signatures are not checked). Pages are built
once at start, so the mock costs the server's crawl as little as it can.

    python3 bench/mock_smoobu.py PORT [PAGES] [DELAY_MS]

DELAY_MS holds each reservations page that long first (slow PMS; faults.py).
"""

import datetime
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

PORT = int(sys.argv[1])
PAGES = int(sys.argv[2]) if len(sys.argv) > 2 else 200
DELAY = int(sys.argv[3]) / 1000 if len(sys.argv) > 3 else 0
SIZE = 100
cache = {}


def pages(field, start, end):
    key = (field, start, end)
    if key not in cache:
        first = datetime.date.fromisoformat(start)
        days = (datetime.date.fromisoformat(end) - first).days + 1
        built = []
        for page in range(1, PAGES + 1):
            bookings = []
            for i in range(SIZE):
                n = (page - 1) * SIZE + i
                day = first + datetime.timedelta(days=n % days)
                stay = datetime.timedelta(days=1 + n % 7)
                arrival, departure = (day, day + stay) if field == "arrival" else (day - stay, day)
                bookings.append({
                    "id": n, "arrival": arrival.isoformat(), "departure": departure.isoformat(),
                    "firstname": "Ana", "lastname": f"Gil {n}", "guest-name": f"Ana Gil {n}",
                    "email": f"g{n}@example.com", "phone": "(+34) 600 000 000",
                    "adults": 2, "children": 0, "check-in": "16:00", "check-out": "11:00",
                    "notice": "", "type": "reservation", "channel": {"id": 1, "name": "Direct"},
                    "apartment": {"id": 100 + n % 40, "name": f"Apartamento {n % 40}"},
                })
            built.append(json.dumps({"page_count": PAGES, "page_size": SIZE, "total_items": PAGES * SIZE,
                                     "page": page, "bookings": bookings}).encode())
        cache[key] = built
    return cache[key]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in one write, without Nagle's delay: else each
    # page waits for the client's delayed ACK (40 ms), which measures the mock.
    disable_nagle_algorithm = True

    def do_GET(self):
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        body = b'{"status":404}'
        status = 404
        if url.path == "/api/reservations":
            time.sleep(DELAY)
            field = "arrival" if "arrivalFrom" in query else "departure"
            built = pages(field, query[f"{field}From"], query[f"{field}To"])
            page = int(query.get("page", "1"))
            body, status = (built[page - 1], 200) if 1 <= page <= len(built) else (b'{"bookings":[]}', 200)
        elif url.path == "/health":
            body, status = b"{}", 200
        head = (f"HTTP/1.1 {status} OK\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        self.wfile.write(head + body)

    def log_message(self, *args):
        pass


ThreadingHTTPServer.daemon_threads = True
# Many clients at once (faults.py): the default backlog of 5 refuses them.
ThreadingHTTPServer.request_queue_size = 1024
ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
