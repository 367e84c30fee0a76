"""Every check failure of a schemathesis NDJSON report, grouped.

Schemathesis prints one example per unique failure; this lists them all,
grouped by failure code, operation, status and the server's first error
message, with how many cases hit each and one request body that did.
(Failures dropped by the filter_failure hook are not in the report.)

Usage: python .ci/openapi_report.py target/openapi-check/ndjson-*.ndjson
"""

import base64
import collections
import json
import sys


def decode(blob):
    if not blob:
        return ""
    if "$base64" in blob:
        return base64.b64decode(blob["$base64"]).decode("utf-8", "replace")
    return str(blob)


def main(paths):
    groups = collections.OrderedDict()
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                event = json.loads(line).get("ScenarioFinished")
                if not event:
                    continue
                recorder = event["recorder"]
                for case_id, checks in recorder.get("checks", {}).items():
                    interaction = recorder.get("interactions", {}).get(case_id) or {}
                    request = interaction.get("request") or {}
                    response = interaction.get("response") or {}
                    status = response.get("status_code")
                    try:
                        message = json.loads(decode(response.get("content")))["errors"][0]
                    except Exception:
                        message = decode(response.get("content"))[:100]
                    if message.endswith(": Unknown field."):
                        message = "<key>: Unknown field."  # one group, whatever key was generated
                    for check in checks:
                        if check.get("status") != "failure":
                            continue
                        failure = check["failure_info"]["failure"]
                        operation = failure.get("operation") or recorder.get("label")
                        key = (failure["code"], failure["title"], operation, status, message)
                        group = groups.setdefault(
                            key, {"count": 0, "phases": set(), "request": None, "detail": failure["message"]}
                        )
                        group["count"] += 1
                        group["phases"].add(event.get("phase"))
                        if group["request"] is None:
                            ctype = (request.get("headers") or {}).get("Content-Type", [""])[0]
                            group["request"] = (
                                f"{request.get('method')} {request.get('uri')} "
                                f"[{ctype or 'no body'}] {decode(request.get('body'))[:160]!r}"
                            )
    if not groups:
        print("openapi_report: no check failures in the report")
        return
    print(f"openapi_report: {len(groups)} distinct failures")
    last = None
    for (code, title, operation, status, message), group in sorted(
        groups.items(), key=lambda item: (item[0][0], str(item[0][2]), str(item[0][3]))
    ):
        if code != last:
            print(f"\n{code} {title}")
            last = code
        detail = group["detail"].splitlines()[0] if group["detail"] else ""
        print(f"  {operation} -> {status} {message!r} x{group['count']} ({', '.join(sorted(group['phases']))})")
        print(f"      {detail}")
        print(f"      e.g. {group['request']}")


if __name__ == "__main__":
    main(sys.argv[1:])
