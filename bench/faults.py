#!/usr/bin/env python3
"""Faults against the release binary (issue 13, item 7), one scenario each:

  kill      an import of 5,000 apartments killed with SIGKILL at several
            moments: after each restart the catalogue holds all of them or none
            (SQLite, and PostgreSQL when DATABASE is given)
  postgres  PostgreSQL stopped for 30 s under load, then started again: every
            answer meanwhile is 200 or 503 in the envelope, latency bounded,
            and the same process serves 200s again after it
  sigterm   200 requests in flight (each waits 2 s on a slow mock PMS) when
            SIGTERM arrives: all 200 finish with 200, then the process exits

  python3 bench/faults.py [kill] [postgres] [sigterm]      (all three by default)
  BIN=target/release/stay-sidekick  PG=postgres://postgres@127.0.0.1:5432
The `postgres` scenario stops and starts this machine's PostgreSQL cluster
(pg_ctlcluster): run it alone, never beside a test run.
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.abspath(os.environ.get("BIN", os.path.join(ROOT, "target/release/stay-sidekick")))
PG = os.environ.get("PG", "postgres://postgres@127.0.0.1:5432")
PORT = 5091
BASE = "http://127.0.0.1:%d" % PORT
EMAIL, PASSWORD = "faults@example.com", "faults-password-1"


def call(method, path, token=None, body=None, headers=None, timeout=60):
    headers = dict(headers or {})
    if token:
        headers["Authorization"] = "Bearer " + token
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(BASE + path, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()
    except (urllib.error.URLError, ConnectionError, TimeoutError) as err:
        return 0, str(err).encode()


class Server:
    def __init__(self, workdir, database, **env):
        self.workdir, self.database, self.env = workdir, database, env
        self.process = None

    def start(self):
        env = dict(os.environ, PORT=str(PORT), RATELIMIT_ENABLED="false", LOG_LEVEL="warn",
                   DATABASE_URL=self.database, ALLOW_PRIVATE_PMS_ENDPOINTS="true",
                   SECRET_KEY="faults-secret", JWT_SECRET_KEY="faults-jwt",
                   FERNET_KEY="AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", **self.env)
        subprocess.run([BIN, "create-superadmin", "--email", EMAIL, "--password", PASSWORD,
                        "--empresa", "Faults"], cwd=self.workdir, env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        log = open(os.path.join(self.workdir, "server.log"), "a")
        self.process = subprocess.Popen([BIN], cwd=self.workdir, env=env, stdout=log, stderr=log)
        for _ in range(200):
            if call("GET", "/api/health", timeout=1)[0] == 200:
                return self
            time.sleep(0.05)
        raise RuntimeError("server did not start")

    def token(self):
        status, body = call("GET", "/api/csrf-token")
        csrf = json.loads(body)["csrf_token"]
        status, body = call("POST", "/api/auth/login", body={"email": EMAIL, "password": PASSWORD},
                            headers={"X-CSRF-Token": csrf, "Cookie": "csrf_token=" + csrf})
        return json.loads(body)["token"]

    def stop(self, sig=signal.SIGKILL):
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=60)


def catalogue_sheet(path, rows):
    subprocess.run(["cargo", "run", "--release", "--quiet", "--example", "catalogue_xlsx", "--",
                    path, str(rows)], cwd=ROOT, check=True)
    with open(path, "rb") as f:
        return f.read()


def multipart(field, name, data):
    boundary = "----faults"
    body = (("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n\r\n")
            % (boundary, field, name)).encode() + data + ("\r\n--%s--\r\n" % boundary).encode()
    return body, {"Content-Type": "multipart/form-data; boundary=" + boundary}


def fresh_database(kind, work, round_):
    """A new database per round: a SQLite file, or PostgreSQL's stay_faults made again."""
    if kind == "SQLite":
        return "sqlite://%s/faults-%d.db" % (work, round_)
    recreate_pg_database()
    return PG + "/stay_faults"


def recreate_pg_database():
    for sql in ("DROP DATABASE IF EXISTS stay_faults WITH (FORCE)", "CREATE DATABASE stay_faults"):
        subprocess.run(["psql", PG + "/postgres", "-qc", sql], check=True)


COLUMNS = {"col_id_externo": 5, "col_nombre": 2, "col_direccion": 4, "col_ciudad": 11}


def kill_during_import(kind, sheet):
    body, headers = multipart("file", "apartamentos.xlsx", sheet)
    counts = []
    # Every 25 ms from before the upload is read to after the commit.
    for round_, delay in enumerate([0.05 + 0.025 * i for i in range(23)]):
        with tempfile.TemporaryDirectory() as work:
            server = Server(work, fresh_database(kind, work, round_)).start()
            token = server.token()
            # The sheet's columns (as bench/run.sh sets them for the same sheet).
            call("PUT", "/api/perfil/xlsx-apartamentos", token, COLUMNS)
            upload = threading.Thread(target=call, args=("POST", "/api/apartamentos/importacion", token, body, headers))
            upload.start()
            time.sleep(delay)
            server.stop(signal.SIGKILL)
            upload.join()
            server.start()
            status, listed = call("GET", "/api/apartamentos", server.token())
            counts.append((delay, len(json.loads(listed)["apartamentos"]) if status == 200 else "error %d" % status))
            server.stop(signal.SIGTERM)
    partial = [c for _, c in counts if c not in (0, 5000)]
    print("kill (%s): apartments after SIGKILL at %s: %s -> partial imports: %d" % (
        kind, ", ".join("%.2f s" % d for d, _ in counts), ", ".join(str(c) for _, c in counts), len(partial)))


def postgres_outage(database):
    cluster = sorted(os.listdir("/etc/postgresql"))[0]
    with tempfile.TemporaryDirectory() as work:
        server = Server(work, database).start()
        token = server.token()
        call("POST", "/api/vault/plantillas", token, {"nombre": "Hola", "contenido": "Hola {NOMBRE}"})
        results, stop = [], threading.Event()

        def load():
            while not stop.is_set():
                started = time.monotonic()
                status, body = call("GET", "/api/vault/plantillas", token, timeout=30)
                envelope = status == 200 or (body.startswith(b'{"errors"') and b'"ok":false' in body)
                results.append((time.monotonic(), status, time.monotonic() - started, envelope))
                time.sleep(0.02)
        workers = [threading.Thread(target=load) for _ in range(4)]
        for w in workers:
            w.start()
        time.sleep(3)
        down = time.monotonic()
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main", "stop", "-m", "fast"], check=True)
        time.sleep(30)
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main", "start"], check=True)
        up = time.monotonic()
        time.sleep(8)
        stop.set()
        for w in workers:
            w.join()
        server.stop(signal.SIGTERM)

    def phase(a, b):
        return [r for r in results if a <= r[0] < b]
    during, after = phase(down, up), phase(up + 5, float("inf"))
    statuses = {}
    for _, status, _, _ in during:
        statuses[status] = statuses.get(status, 0) + 1
    print("postgres: 30 s down under load: %d answers %s, max latency %.2f s, outside the envelope %d; "
          "5-8 s after restart: %d answers, %d of them 200" % (
              len(during), statuses, max((r[2] for r in during), default=0),
              sum(1 for r in during if not r[3]), len(after), sum(1 for r in after if r[1] == 200)))


def sigterm_in_flight():
    mock_port = PORT + 1
    mock = subprocess.Popen([sys.executable, os.path.join(ROOT, "bench/mock_smoobu.py"), str(mock_port), "1", "2000"])
    try:
        with tempfile.TemporaryDirectory() as work:
            server = Server(work, "sqlite://%s/faults.db" % work).start()
            token = server.token()
            call("PUT", "/api/apartamentos/pms", token, {"proveedor": "smoobu", "api_key": "k:s",
                                                         "endpoint": "http://127.0.0.1:%d" % mock_port})
            results = []

            def one():
                status, body = call("GET", "/api/heatmap?desde=2026-06-01&hasta=2026-06-07", token, timeout=60)
                results.append(status if status == 200 else "%d %s" % (status, body[:120].decode(errors="replace")))
            threads = [threading.Thread(target=one) for _ in range(200)]
            for t in threads:
                t.start()
            time.sleep(1.0)
            started = time.monotonic()
            server.stop(signal.SIGTERM)
            exited = time.monotonic() - started
            for t in threads:
                t.join()
            new = call("GET", "/api/health", timeout=2)[0]
        counts = {}
        for status in results:
            counts[status] = counts.get(status, 0) + 1
        print("sigterm: 200 requests in flight (2 s PMS pages): answers %s; process exited %.1f s after "
              "SIGTERM, exit code %s; a new request afterwards: %s" % (
                  counts, exited, server.process.returncode, new or "refused"))
    finally:
        mock.terminate()


def main():
    chosen = sys.argv[1:] or ["kill", "postgres", "sigterm"]
    if "kill" in chosen:
        with tempfile.TemporaryDirectory() as tmp:
            sheet = catalogue_sheet(os.path.join(tmp, "c.xlsx"), 5000)
        kill_during_import("SQLite", sheet)
        kill_during_import("PostgreSQL", sheet)
    if "postgres" in chosen:
        recreate_pg_database()
        postgres_outage(PG + "/stay_faults")
    if "sigterm" in chosen:
        sigterm_in_flight()


if __name__ == "__main__":
    main()
