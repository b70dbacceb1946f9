"""pynetdicom as the requestor (SCU) against our server.

    python scu.py PLAN_JSON

PLAN_JSON: {"host": "127.0.0.1", "port": 11112, "barrier": false,
            "associations": [{"called_ae": "DISPLAY", "max_pdu": 16382,
                              "contexts": [[abstract_syntax, [transfer_syntax, ...]], ...],
                              "steps": [{"op": "n_get", "attrs": ["00080070"] | null,
                                         "instance": uid, "class": uid},
                                        {"op": "echo"}, {"op": "release"}, {"op": "abort"}]}]}

"contexts" defaults to Display System and Verification with pynetdicom's default transfer
syntaxes; an N-GET's "class" and "instance" default to the Display System's.  With "barrier",
the script prints "associated" once its (single) association is up and waits for a line on
stdin before running the steps: the test uses it to hold several associations open at once.
With "json": false, N-GET results carry the re-encoded data set but not its DICOM JSON (it
costs more Python time than the N-GET itself).

The last stdout line is the JSON report; the Rust test judges it. Per association: whether
it was established, the accepted contexts, the maximum PDU lengths, is_released / is_aborted,
and one result per step: the status, "status_ds" (the status elements as DICOM JSON),
"dataset" (DICOM JSON), "reencoded" (the data set pydicom decoded, encoded again by
pynetdicom in the context's transfer syntax, as hex), "pdata" (the length of every P-DATA-TF
PDU received during the step) and timings. "warnings": pynetdicom's WARNING+ log records.
"""

import json
import sys
import time

from pydicom.tag import Tag
from pynetdicom import AE, evt
from pynetdicom.dsutils import encode
from pynetdicom.pdu import P_DATA_TF

import common
from common import DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, VERIFICATION

common.check_versions()
warnings = common.capture_warnings()
plan = json.loads(sys.argv[1])

TIMEOUT = plan.get("timeout", 10)


def let_the_reactor_resume(assoc):
    """Work around pynetdicom 3.0.4's requestor race, which a fast peer like ours
    triggers about once in 400 requests.

    send_*() ends with `_reactor_checkpoint.set()`; the next send_*() starts with `clear()`
    and waits for `_is_paused`. When the two follow each other before the reactor thread has
    woken, `_is_paused` is still True from before, so the send goes ahead; the reactor then
    wakes anyway (its Condition was notified), polls the DIMSE queue once and takes our
    response for itself ("Received unexpected N-GET service message"), and send_*() waits out
    the DIMSE timeout. Waiting here until the reactor has really resumed closes that window
    (0 in 11,200 requests, against ~1 in 400 without). It changes nothing on the wire.
    """
    deadline = time.monotonic() + 1.0
    while assoc.is_established and assoc._is_paused and time.monotonic() < deadline:
        time.sleep(0.0001)


def run_association(spec):
    ae = AE(ae_title=spec.get("calling_ae", "PYNETDICOM"))
    ae.acse_timeout = TIMEOUT
    ae.dimse_timeout = TIMEOUT
    ae.network_timeout = TIMEOUT
    contexts = spec.get("contexts")
    if contexts is None:
        ae.add_requested_context(DISPLAY_SYSTEM)
        ae.add_requested_context(VERIFICATION)
    else:
        for abstract, syntaxes in contexts:
            ae.add_requested_context(abstract, syntaxes)

    # The P-DATA-TF PDUs received during the current step: their variable field lengths.
    pdata = []

    def on_pdu(event):
        if isinstance(event.pdu, P_DATA_TF):
            pdata.append(event.pdu.pdu_length)

    report = {"established": False, "results": []}
    assoc = ae.associate(
        plan.get("host", "127.0.0.1"),
        plan["port"],
        ae_title=spec.get("called_ae", "DISPLAY"),
        # The Maximum Length we announce (AE.maximum_pdu_size only applies to acceptors).
        max_pdu=spec.get("max_pdu", 16382),
        evt_handlers=[(evt.EVT_PDU_RECV, on_pdu)],
    )
    report["established"] = assoc.is_established
    report["rejected"] = assoc.is_rejected
    report["aborted_at_start"] = assoc.is_aborted
    if not assoc.is_established:
        return report
    report["our_max_pdu"] = assoc.requestor.maximum_length
    report["peer_max_pdu"] = assoc.acceptor.maximum_length
    report["contexts"] = [
        {
            "id": cx.context_id,
            "abstract": str(cx.abstract_syntax),
            "ts": str(cx.transfer_syntax[0]),
        }
        for cx in assoc.accepted_contexts
    ]

    if plan.get("barrier"):
        print("associated", flush=True)
        sys.stdin.readline()

    let_the_reactor_resume(assoc)
    msg_id = 0
    for step in spec["steps"]:
        msg_id += 1
        pdata.clear()
        op = step["op"]
        result = {"op": op}
        t0 = time.monotonic()
        if op == "n_get":
            attrs = step.get("attrs")
            if attrs is not None:
                attrs = [Tag(int(a, 16)) for a in attrs]
            cx = next(
                c for c in assoc.accepted_contexts
                if c.abstract_syntax == step.get("class", DISPLAY_SYSTEM)
            )
            status, ds = assoc.send_n_get(
                attrs,
                step.get("class", DISPLAY_SYSTEM),
                step.get("instance", DISPLAY_SYSTEM_INSTANCE),
                msg_id=msg_id,
            )
            result["wire_ms"] = round((time.monotonic() - t0) * 1000, 1)
            result["status"] = getattr(status, "Status", None)
            result["transfer_syntax"] = str(cx.transfer_syntax[0])
            if ds is not None:
                ts = cx.transfer_syntax[0]
                # What pydicom decoded, written again with pynetdicom's own encoder: the
                # test compares it with our bytes, element by element.
                raw = encode(ds, ts.is_implicit_VR, ts.is_little_endian, ts.is_deflated)
                result["reencoded"] = raw.hex() if raw is not None else None
            result["status_ds"] = common.to_json(status)
            if plan.get("json", True):
                result["dataset"] = common.to_json(ds)
        elif op == "echo":
            status = assoc.send_c_echo(msg_id=msg_id)
            result["status"] = getattr(status, "Status", None)
        elif op == "release":
            assoc.release()
        elif op == "abort":
            assoc.abort()
        else:
            sys.exit(f"scu.py: unknown step {op!r}")
        let_the_reactor_resume(assoc)
        result["pdata"] = list(pdata)
        result["ms"] = round((time.monotonic() - t0) * 1000, 1)
        report["results"].append(result)
        if not assoc.is_established:
            break
    report["is_released"] = assoc.is_released
    report["is_aborted"] = assoc.is_aborted
    if assoc.is_established:
        # A plan that forgot to end its association: release it, but say so.
        report["left_open"] = True
        assoc.release()
    return report


reports = [run_association(spec) for spec in plan["associations"]]
common.emit({"associations": reports, "warnings": warnings.messages})
