"""Drives the embassy-net adapter on a TAP device with pynetdicom (scripts/tap-test).

    python tap_check.py HOST PORT

Two pynetdicom SCU processes associate at once (scu.py with its barrier), then each does a
full Display System N-GET, an N-GET with an Attribute Identifier List, a C-ECHO and a release.
Exits non-zero, with the reason, if anything is not as expected.
"""
import json
import os
import subprocess
import sys

host, port = sys.argv[1], int(sys.argv[2])
here = os.path.dirname(os.path.abspath(__file__))
plan = {
    "host": host,
    "port": port,
    "barrier": True,
    "timeout": 20,
    "associations": [
        {
            "called_ae": "DISPLAY",
            "steps": [
                {"op": "n_get", "attrs": None},
                {"op": "n_get", "attrs": ["00080070", "00287023"]},
                {"op": "echo"},
                {"op": "release"},
            ],
        }
    ],
}
procs = [
    subprocess.Popen(
        [sys.executable, os.path.join(here, "scu.py"), json.dumps(plan)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    for _ in range(2)
]
# Both associations are up before either does anything: two at once on the device.
for p in procs:
    line = p.stdout.readline().strip()
    if line != "associated":
        sys.exit(f"tap_check: an SCU did not associate: {line!r}")
for p in procs:
    p.stdin.write("go\n")
    p.stdin.flush()
failures = []
for i, p in enumerate(procs):
    out, _ = p.communicate(timeout=120)
    report = json.loads(out.strip().splitlines()[-1])
    a = report["associations"][0]
    full, listed, echo, _release = a["results"]
    if full.get("status") != 0 or "00287023" not in (full.get("dataset") or {}):
        failures.append(f"SCU {i}: full N-GET: {full.get('status')}")
    if listed.get("status") != 0 or sorted((listed.get("dataset") or {}).keys()) != ["00080070", "00287023"]:
        failures.append(f"SCU {i}: N-GET with a list: {listed.get('status')} {sorted((listed.get('dataset') or {}).keys())}")
    if echo.get("status") != 0:
        failures.append(f"SCU {i}: C-ECHO: {echo.get('status')}")
    if not a.get("is_released"):
        failures.append(f"SCU {i}: not released")
    subsystems = (full.get("dataset") or {}).get("00287023", {}).get("Value", [])
    print(f"tap_check: SCU {i}: full N-GET 0000H with {len(subsystems)} subsystems, listed N-GET, C-ECHO, release")
if failures:
    sys.exit("tap_check: " + "; ".join(failures))
print("tap_check: 2 concurrent pynetdicom associations served by dimse-embassy over TAP")
