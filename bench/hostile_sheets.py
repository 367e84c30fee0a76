#!/usr/bin/env python3
"""Hostile spreadsheets against a running release binary (issue 13, items 2-3).

Builds the files itself (standard library only), then uploads them to the
apartments import preview and prints, per scenario, the answers, the wall
time and the server's extra RSS (sampled every 5 ms from /proc):

  wide      50,000 rows x 100 one-character cells (about 1.5 MB)
  sst       a shared-string table of 600,000 short strings, few cells
  far       cells only past column 104, about 180 MiB of sheet XML
  fairness  company A keeps sending `far` files from 4 clients while company
            B previews a small sheet: B's latency

  python3 bench/hostile_sheets.py BASE_URL SERVER_PID TOKEN_A TOKEN_B
(bench/hostile_sheets.sh starts a server and calls it.)
"""
import io
import json
import random
import sys
import threading
import time
import urllib.error
import urllib.request
import zipfile

BASE, PID, TOKEN_A, TOKEN_B = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
PREVIEW = BASE + "/api/apartamentos/importacion/preview"


def column_name(index):
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def xlsx(sheet_rows, shared=()):
    """An .xlsx of one sheet; `sheet_rows` yields lists of (column, xml)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   '<Default Extension="xml" ContentType="application/xml"/>'
                   '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                   '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                   '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
                   '</Types>')
        z.writestr("_rels/.rels",
                   '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
                   '</Relationships>')
        z.writestr("xl/workbook.xml",
                   '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                   'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
                   '<sheet name="Hoja1" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels",
                   '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
                   '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
                   '</Relationships>')
        with z.open("xl/sharedStrings.xml", "w") as f:
            f.write(b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            for text in shared:
                f.write(("<si><t>%s</t></si>" % text).encode())
            f.write(b"</sst>")
        with z.open("xl/worksheets/sheet1.xml", "w") as f:
            f.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
            for r, cells in enumerate(sheet_rows, start=1):
                f.write(('<row r="%d">' % r).encode())
                # A cell without a column (`r`) follows the one before it.
                f.write("".join(('<c r="%s%d"%s</c>' % (column_name(c), r, xml)) if c is not None
                                else ("<c%s</c>" % xml) for c, xml in cells).encode())
                f.write(b"</row>")
            f.write(b"</sheetData></worksheet>")
    return out.getvalue()


def inline(text):
    return ' t="inlineStr"><is><t>%s</t></is>' % text


def wide():
    header = [(0, inline("id")), (1, inline("nombre"))] + [(c, inline("c%d" % c)) for c in range(2, 100)]
    one = ' t="s"><v>0</v>'
    rows = (header if r == 0 else [(c, one) for c in range(100)] for r in range(50_000))
    return xlsx(rows, shared=["a"])


def shared_table():
    rows = [[(0, inline("id")), (1, inline("nombre"))], [(0, ' t="s"><v>1</v>'), (1, ' t="s"><v>2</v>')]]
    return xlsx(rows, shared=("s%d" % i for i in range(600_000)))


def far():
    rng = random.Random(7)
    header = [(0, inline("id")), (1, inline("nombre"))]

    # Positions from the first cell on (no `r`): XML that compresses about
    # 50 times, as a sheet saved by a spreadsheet program does.
    def row(r):
        return [(105, "><v>1</v>")] + [(None, "><v>%d</v>" % rng.randrange(2)) for _ in range(4_000)]
    return xlsx(header if r == 0 else row(r) for r in range(3_000))


def small():
    rows = [[(0, inline("id")), (1, inline("nombre"))]] + [[(0, inline("B%d" % r)), (1, inline("Apto %d" % r))] for r in range(1, 40)]
    return xlsx(rows)


def upload(token, data, name="a.xlsx"):
    boundary = "----hostile-sheets"
    body = (("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n"
             "Content-Type: application/octet-stream\r\n\r\n") % (boundary, name)).encode() + data + \
        ("\r\n--%s--\r\n" % boundary).encode()
    request = urllib.request.Request(PREVIEW, data=body, method="POST", headers={
        "Authorization": "Bearer " + token, "Content-Type": "multipart/form-data; boundary=" + boundary})
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            status, text = response.status, response.read()
    except urllib.error.HTTPError as err:
        status, text = err.code, err.read()
    except (urllib.error.URLError, ConnectionError) as err:
        return 0, time.monotonic() - started, "connection: %s" % err
    message = ""
    if status != 200:
        try:
            message = json.loads(text)["errors"][0][:90]
        except Exception:
            message = text[:90]
    return status, time.monotonic() - started, message


def rss_kib():
    with open("/proc/%d/status" % PID) as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1])
    return 0


class Peak:
    """The server's highest RSS while the block runs."""

    def __enter__(self):
        self.base, self.peak, self.running = rss_kib(), 0, True
        self.thread = threading.Thread(target=self.sample)
        self.thread.start()
        return self

    def sample(self):
        while self.running:
            self.peak = max(self.peak, rss_kib())
            time.sleep(0.005)

    def __exit__(self, *_):
        self.running = False
        self.thread.join()

    def extra_mib(self):
        return (self.peak - self.base) / 1024


def at_once(token, data, n):
    results = [None] * n

    def one(i):
        results[i] = upload(token, data)
    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def summary(results):
    statuses = {}
    for status, _, message in results:
        statuses.setdefault((status, message), 0)
        statuses[(status, message)] += 1
    return ", ".join("%d x %d%s" % (n, s, (" (" + m + ")") if m else "") for (s, m), n in statuses.items())


def main():
    files = {"wide": wide(), "sst": shared_table(), "far": far()}
    for name, data in files.items():
        with Peak() as peak:
            status, seconds, message = upload(TOKEN_A, data)
        print("%-5s %6.2f MB alone:  %d in %5.2f s, extra RSS %6.1f MiB %s" %
              (name, len(data) / 1e6, status, seconds, peak.extra_mib(), message))
        time.sleep(0.5)
        with Peak() as peak:
            started = time.monotonic()
            results = at_once(TOKEN_A, data, 20)
        print("%-5s 20 at once: %5.1f s wall, extra RSS %6.1f MiB; %s" %
              (name, time.monotonic() - started, peak.extra_mib(), summary(results)))
        time.sleep(0.5)

    # Fairness: A keeps four clients busy with `far`; B previews a small sheet.
    stop = threading.Event()

    def hostile():
        while not stop.is_set():
            upload(TOKEN_A, files["far"])
    attackers = [threading.Thread(target=hostile) for _ in range(4)]
    for t in attackers:
        t.start()
    time.sleep(1.0)
    latencies = []
    for _ in range(5):
        status, seconds, _ = upload(TOKEN_B, small())
        latencies.append((status, seconds))
        time.sleep(0.3)
    stop.set()
    for t in attackers:
        t.join()
    print("fairness: company B's small preview while A sends `far` from 4 clients: " +
          ", ".join("%d in %.2f s" % l for l in latencies))


main()
