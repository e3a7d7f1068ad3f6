#!/usr/bin/env python3
"""A property-management system declaring its guests: a runnable example of the stays API (Python 3, no packages).

    python docs/examples/pms_client.py --base http://127.0.0.1:8000 --key res_… check-in \
        --id-number 11010519491231002X --name 张三 --unit UNIT-CODE
    python docs/examples/pms_client.py --base … --key … check-out --stay-id 42
    python docs/examples/pms_client.py --base … --key … units
    python docs/examples/pms_client.py --base … --key … reconcile --date 2026-12-01

Every declaration carries an idempotency key that the client makes once and keeps with the guest's record, so a
retry after a timeout or a lost answer sends the *same* key: the server answers `duplicate` with the first result
and writes nothing twice. This client retries network errors and 5xx answers with the same body and keys.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
import urllib.error
import urllib.request
import uuid
from typing import Any


def call(base: str, key: str, method: str, path: str, body: Any = None, tries: int = 5) -> Any:
    if not base.startswith(("http://", "https://")):
        sys.exit("--base must be an http:// or https:// address")
    data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
    for attempt in range(1, tries + 1):
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        # the scheme is checked above
        request = urllib.request.Request(base.rstrip("/") + path, data=data, method=method, headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
                return json.load(answer)
        except urllib.error.HTTPError as exc:
            if exc.code < 500 and exc.code != 429:
                sys.exit(f"refused ({exc.code}): {exc.read().decode()}")  # 4xx: fix the request, do not retry
            wait = int(exc.headers.get("Retry-After", "0") or 0) or 2 ** attempt
        except (urllib.error.URLError, TimeoutError):
            wait = 2 ** attempt
        if attempt == tries:
            sys.exit("gave up: the server did not answer; send the same items (same keys) again later")
        time.sleep(min(wait, 30))
    return None


def now() -> str:
    return dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).isoformat(timespec="seconds")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--base", required=True)
    p.add_argument("--key", required=True)
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("check-in")
    c.add_argument("--id-number", required=True)
    c.add_argument("--name", required=True)
    c.add_argument("--unit", required=True)
    c.add_argument("--arrived-at", default=None,
                   help="default: now; keep it with the key: a retry must send the same item, time included")
    c.add_argument("--idempotency-key", default=None, help="default: a new UUID (keep it with the guest)")
    o = sub.add_parser("check-out")
    o.add_argument("--stay-id", type=int, required=True)
    o.add_argument("--departed-at", default=None)
    o.add_argument("--idempotency-key", default=None)
    sub.add_parser("units")
    r = sub.add_parser("reconcile")
    r.add_argument("--date", required=True)
    a = p.parse_args()
    if a.command == "check-in":
        item = {"idempotency_key": a.idempotency_key or str(uuid.uuid4()), "id_number": a.id_number,
                "name": a.name, "unit_code": a.unit, "arrived_at": a.arrived_at or now()}
        out = call(a.base, a.key, "POST", "/api/v1/stays/check-ins", {"items": [item]})
    elif a.command == "check-out":
        item = {"idempotency_key": a.idempotency_key or str(uuid.uuid4()), "stay_id": a.stay_id,
                "departed_at": a.departed_at or now()}
        out = call(a.base, a.key, "POST", "/api/v1/stays/check-outs", {"items": [item]})
    elif a.command == "units":
        out = call(a.base, a.key, "GET", "/api/v1/stays/units")
    else:
        out = call(a.base, a.key, "GET", f"/api/v1/stays/reconciliation?date={a.date}")
    print(json.dumps(out, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
