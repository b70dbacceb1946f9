"""Drives the firmware image in QEMU (scripts/qemu-test) with pynetdicom and raw sockets.

    python qemu_check.py interop HOST PORT     # N-GETs, concurrency, the third peer
    python qemu_check.py timers HOST PORT      # ARTIM, an abort mid-message (short timers)

interop: pynetdicom 3.0.4 (scu.py) N-GETs: the whole data set, an Attribute Identifier List,
an attribute the display does not have (0107H), a wrong SOP Instance (0112H), Implicit and
Explicit VR Little Endian, a maximum PDU of 4096; then two associations at once (scu.py's
barrier), and a third connection while both of the image's association tasks are busy: it
must be refused at once (closed without a byte), and served again once one is free.

timers: on an image booted with artim-ms=300: a partial A-ASSOCIATE-RQ is closed after ARTIM
(PS3.8 §9.1.5, Sta2 with ARTIM expired: AA-2), without a byte; an A-ABORT after the first
fragment of a command set closes the association without an answer (AA-3); each time, the
image answers a C-ECHO afterwards.

Exits non-zero with every failure listed; prints one line per case.
"""
import json
import os
import socket
import subprocess
import sys
import time

mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
from common import (  # noqa: E402
    DISPLAY_SYSTEM,
    EXPLICIT_VR_LE,
    IMPLICIT_VR_LE,
    VERIFICATION,
)

failures = []
AE = "MPS2_DISPLAY"
# The image's factory identity (mps2-an500/src/main.rs, dicom/src/lib.rs).
SERIAL = "QEMU-0001"
MANUFACTURER = "Example Displays"


def check(name, ok, detail=""):
    print(f"qemu_check: {'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail and not ok else ''}", flush=True)
    if not ok:
        failures.append(f"{name}: {detail}")


def scu(associations, barrier=False, stdin=None):
    plan = {"host": host, "port": port, "barrier": barrier, "timeout": 20, "associations": associations}
    return subprocess.Popen(
        [sys.executable, os.path.join(here, "scu.py"), json.dumps(plan)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def report(proc):
    out, _ = proc.communicate(timeout=120)
    lines = out.strip().splitlines()
    if not lines:
        sys.exit("qemu_check: scu.py printed nothing")
    return json.loads(lines[-1])


def value(ds, tag):
    return ((ds or {}).get(tag) or {}).get("Value", [None])[0]


def single(steps, **spec):
    return report(scu([dict(called_ae=AE, steps=steps, **spec)]))["associations"][0]


def interop():
    a = single(
        [
            {"op": "n_get", "attrs": None},
            {"op": "n_get", "attrs": ["00080070", "00181000"]},
            {"op": "n_get", "attrs": ["00100010"]},
            {"op": "n_get", "attrs": None, "instance": "1.2.826.0.1.3680043.9.3811.99"},
            {"op": "echo"},
            {"op": "release"},
        ]
    )
    check("association established", a.get("established"), json.dumps(a)[:300])
    if not a.get("established"):
        return
    full, listed, unknown, wrong, echo, _ = a["results"]
    check(
        "N-GET, whole data set: 0000H with the factory identity",
        full.get("status") == 0
        and value(full.get("dataset"), "00080070") == MANUFACTURER
        and value(full.get("dataset"), "00181000") == SERIAL
        and "00287023" in (full.get("dataset") or {}),
        f"status {full.get('status')}, {sorted((full.get('dataset') or {}).keys())[:8]}",
    )
    check(
        "N-GET, Attribute Identifier List: 0000H with exactly those attributes",
        listed.get("status") == 0 and sorted((listed.get("dataset") or {}).keys()) == ["00080070", "00181000"],
        f"status {listed.get('status')}, {sorted((listed.get('dataset') or {}).keys())}",
    )
    check("N-GET of an attribute the display lacks: 0107H", unknown.get("status") == 0x0107, f"status {unknown.get('status')}")
    check("N-GET of another SOP Instance: 0112H", wrong.get("status") == 0x0112, f"status {wrong.get('status')}")
    check("C-ECHO: 0000H", echo.get("status") == 0, f"status {echo.get('status')}")
    check("released", a.get("is_released"), json.dumps(a)[:300])

    data_sets = {}
    for name, ts in (("Implicit", IMPLICIT_VR_LE), ("Explicit", EXPLICIT_VR_LE)):
        b = single([{"op": "n_get", "attrs": None}, {"op": "release"}], contexts=[[DISPLAY_SYSTEM, [ts]]])
        r = (b.get("results") or [{}])[0]
        data_sets[name] = r.get("dataset")
        check(
            f"N-GET in {name} VR Little Endian only: accepted, 0000H",
            b.get("established") and r.get("transfer_syntax") == ts and r.get("status") == 0 and b.get("is_released"),
            f"{json.dumps(b)[:300]}",
        )
    check("the same data set in both transfer syntaxes", data_sets["Implicit"] == data_sets["Explicit"] and data_sets["Implicit"])

    c = single([{"op": "n_get", "attrs": None}, {"op": "release"}], max_pdu=4096)
    r = (c.get("results") or [{}])[0]
    pdata = r.get("pdata") or []
    check(
        "maximum PDU 4096: 0000H, every P-DATA-TF within 4096",
        r.get("status") == 0 and pdata and max(pdata) <= 4096 and c.get("is_released"),
        f"status {r.get('status')}, P-DATA-TF lengths {pdata}",
    )

    # Two associations at once, held open; a third connection meanwhile.
    procs = [
        scu([{"called_ae": AE, "steps": [{"op": "n_get", "attrs": None}, {"op": "echo"}, {"op": "release"}]}], barrier=True)
        for _ in range(2)
    ]
    for p in procs:
        line = p.stdout.readline().strip()
        check("two associations at once: both established", line == "associated", repr(line))
    third = third_connection()
    check("a third connection while both tasks are busy: refused at once, without a byte", third == "refused", third)
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    for i, p in enumerate(procs):
        r = report(p)["associations"][0]
        res = r.get("results") or [{}, {}]
        check(
            f"concurrent association {i + 1}: N-GET, C-ECHO, release",
            res[0].get("status") == 0 and res[1].get("status") == 0 and r.get("is_released"),
            json.dumps(r)[:300],
        )
    echo_ok("after the refusal, a new association")


def third_connection():
    """What a connection gets while every association task is busy: 'refused' when it is
    closed (or reset) within 5 s without a byte, else what happened."""
    s = socket.create_connection((host, port), timeout=5)
    s.settimeout(5)
    t = time.monotonic()
    try:
        s.sendall(associate_rq())
        data = s.recv(1024)
    except ConnectionResetError:
        data = b""
    except socket.timeout:
        return "no answer within 5 s (a hang)"
    finally:
        s.close()
    if data:
        return f"answered {data[:16].hex()}..."
    return "refused" if time.monotonic() - t < 5 else "closed late"


def item(t, body):
    return bytes([t, 0]) + len(body).to_bytes(2, "big") + body


def associate_rq():
    """A valid A-ASSOCIATE-RQ (PS3.8 §9.3.2): Display System and Verification, Implicit VR LE."""
    contexts = b"".join(
        item(0x20, bytes([cid, 0, 0, 0]) + item(0x30, uid.encode()) + item(0x40, IMPLICIT_VR_LE.encode()))
        for cid, uid in ((1, DISPLAY_SYSTEM), (3, VERIFICATION))
    )
    user = item(0x50, item(0x51, (16382).to_bytes(4, "big")) + item(0x52, b"1.2.826.0.1.3680043.9.3811.6.6"))
    body = (
        (1).to_bytes(2, "big") + bytes(2) + AE.encode().ljust(16) + b"QEMU_CHECK".ljust(16) + bytes(32)
        + item(0x10, b"1.2.840.10008.3.1.1.1") + contexts + user
    )
    return bytes([1, 0]) + len(body).to_bytes(4, "big") + body


def read_until_closed(s, limit):
    """Bytes received until the peer closes, and the seconds it took (None: still open)."""
    s.settimeout(limit)
    t, got = time.monotonic(), b""
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                return got, time.monotonic() - t
            got += chunk
    except ConnectionResetError:
        return got, time.monotonic() - t
    except socket.timeout:
        return got, None


def echo_ok(when):
    a = single([{"op": "echo"}, {"op": "release"}])
    ok = a.get("established") and (a.get("results") or [{}])[0].get("status") == 0
    check(f"{when}: C-ECHO 0000H", ok, json.dumps(a)[:300])


def timers():
    # ARTIM: a partial A-ASSOCIATE-RQ, then silence.
    s = socket.create_connection((host, port), timeout=5)
    s.sendall(associate_rq()[:10])
    got, took = read_until_closed(s, 10)
    s.close()
    check(
        "partial A-ASSOCIATE-RQ: closed by ARTIM (300 ms), without a byte",
        not got and took is not None and 0.25 <= took < 5,
        f"{len(got)} bytes, closed after {took} s",
    )
    echo_ok("after ARTIM")

    # An A-ABORT after the first fragment of an N-GET-RQ's command set.
    s = socket.create_connection((host, port), timeout=5)
    s.sendall(associate_rq())
    s.settimeout(5)
    ac = s.recv(4096)
    check("A-ASSOCIATE-AC", ac[:1] == b"\x02", ac[:8].hex())
    fragment = bytes(12)  # the start of a command set; its message control header says: more follows
    pdv = (len(fragment) + 2).to_bytes(4, "big") + bytes([1, 0x01]) + fragment
    s.sendall(bytes([4, 0]) + len(pdv).to_bytes(4, "big") + pdv)
    s.sendall(bytes([7, 0, 0, 0, 0, 4, 0, 0, 0, 0]))
    got, took = read_until_closed(s, 5)
    s.close()
    check("A-ABORT mid-message: closed without an answer", not got and took is not None, f"{got[:16].hex()}, {took}")
    echo_ok("after the abort")


{"interop": interop, "timers": timers}[mode]()
if failures:
    sys.exit("qemu_check: FAILED: " + "; ".join(failures))
print(f"qemu_check: {mode}: all passed")
