#!/usr/bin/env python3
"""pynetdicom 3.0.4 doing the work of one N-GET, as its SCP does it, for scripts/bench.

Usage: bench-pynetdicom.py DIR N

DIR holds what `nget_cost --dump DIR` wrote: request.bin (one P-DATA-TF with the N-GET-RQ),
dataset.bin (the demo Display System in Explicit VR LE) and response.bin (our response
PDUs). Per iteration: decode the P-DATA-TF and the N-GET-RQ, encode the data set from a
pydicom Dataset (as a handler's return value is encoded), build the N-GET-RSP and encode it
into P-DATA-TF PDUs at max PDU 16382. The bytes are checked against ours before timing.
Prints the nanoseconds per N-GET.
"""
import sys
import time
from io import BytesIO
from pathlib import Path

from pynetdicom.dimse_messages import N_GET_RQ, N_GET_RSP
from pynetdicom.dimse_primitives import N_GET
from pynetdicom.dsutils import decode, encode
from pynetdicom.pdu import P_DATA_TF


def one(request: bytes, ds) -> bytes:
    pdu = P_DATA_TF()
    pdu.decode(request)
    msg = N_GET_RQ()
    assert msg.decode_msg(pdu.to_primitive())
    req = msg.message_to_primitive()
    rsp = N_GET()
    rsp.MessageIDBeingRespondedTo = req.MessageID
    rsp.AffectedSOPClassUID = req.RequestedSOPClassUID
    rsp.AffectedSOPInstanceUID = req.RequestedSOPInstanceUID
    rsp.Status = 0x0000
    rsp.AttributeList = BytesIO(encode(ds, False, True))
    out = N_GET_RSP()
    out.primitive_to_message(rsp)
    wire = b""
    for p in out.encode_msg(1, 16382):
        tf = P_DATA_TF()
        tf.from_primitive(p)
        wire += tf.encode()
    return wire


def main() -> None:
    root = Path(sys.argv[1])
    n = int(sys.argv[2])
    request = (root / "request.bin").read_bytes()
    ds = decode(BytesIO((root / "dataset.bin").read_bytes()), False, True)
    ours = (root / "response.bin").read_bytes()
    theirs = one(request, ds)
    if theirs != ours:
        first = next((i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b), None)
        sys.exit(f"pynetdicom's response differs from ours ({len(theirs)} vs {len(ours)} bytes, first at {first})")
    for _ in range(min(n, 50)):
        one(request, ds)
    start = time.perf_counter_ns()
    for _ in range(n):
        one(request, ds)
    print(round((time.perf_counter_ns() - start) / n))


if __name__ == "__main__":
    main()
