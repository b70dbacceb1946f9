#!/usr/bin/env python3
"""Generate byte-exact DICOM Upper Layer / DIMSE test vectors with pynetdicom's own encoders.

Run with the venv made by scripts/setup-python:

    scripts/setup-python && .venv/bin/python scripts/gen-vectors.py

It writes core/tests/vectors/NAME.hex. Each file holds ONE byte string, the concatenation of
complete PDUs in order, as lowercase hex (whitespace insignificant); lines starting with '#'
are comments (the first ones state the origin and every parameter; one '# PDU n' comment
precedes each PDU). Output is deterministic: no timestamps, no random UIDs, pynetdicom's
default Implementation Class UID and Version Name.

`--verify-live` additionally runs real pynetdicom associations on 127.0.0.1 against tiny
raw-socket peers (SCU side and SCP side) and checks that the bytes pynetdicom actually sends
equal the generated vectors; it writes nothing.
"""

import argparse
import io
import logging
import socket
import struct
import sys
import threading
from pathlib import Path

import pydicom
import pynetdicom
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.tag import Tag
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian, UID
from pynetdicom import _config
from pynetdicom.dimse_messages import C_ECHO_RQ, C_ECHO_RSP, N_GET_RQ, N_GET_RSP
from pynetdicom.dimse_primitives import C_ECHO, N_GET
from pynetdicom.dsutils import encode
from pynetdicom.pdu import (
    A_ABORT_RQ,
    A_ASSOCIATE_AC,
    A_ASSOCIATE_RJ,
    A_ASSOCIATE_RQ,
    A_RELEASE_RP,
    A_RELEASE_RQ,
    P_DATA_TF,
)
from pynetdicom.pdu_primitives import (
    A_ABORT,
    A_ASSOCIATE,
    A_P_ABORT,
    A_RELEASE,
    AsynchronousOperationsWindowNegotiation,
    ImplementationClassUIDNotification,
    ImplementationVersionNameNotification,
    MaximumLengthNotification,
    SCP_SCU_RoleSelectionNegotiation,
    UserIdentityNegotiation,
)
from pynetdicom.presentation import PresentationContext

_config.LOG_HANDLER_LEVEL = "none"
logging.getLogger("pynetdicom").setLevel(logging.CRITICAL)

EXPECTED = {"pynetdicom": "3.0.4", "pydicom": "3.0.2"}
ORIGIN = "# origin: pynetdicom 3.0.4 / pydicom 3.0.2 via scripts/gen-vectors.py"

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "core" / "tests" / "vectors"

APP_CONTEXT = UID("1.2.840.10008.3.1.1.1")
DISPLAY_SYSTEM = UID("1.2.840.10008.5.1.1.40")
DISPLAY_SYSTEM_INSTANCE = UID("1.2.840.10008.5.1.1.40.1")
VERIFICATION = UID("1.2.840.10008.1.1")
IMPL_UID = pynetdicom.PYNETDICOM_IMPLEMENTATION_UID  # 1.2.826.0.1.3680043.9.3811.3.0.4
IMPL_VERSION = pynetdicom.PYNETDICOM_IMPLEMENTATION_VERSION  # PYNETDICOM_304

CALLED = "DISPLAY_SCP"
CALLING = "QA_SCU"

TS_NAME = {ImplicitVRLittleEndian: "Implicit VR LE", ExplicitVRLittleEndian: "Explicit VR LE"}


def check_versions():
    got = {"pynetdicom": pynetdicom.__version__, "pydicom": pydicom.__version__}
    if got != EXPECTED:
        sys.exit(f"gen-vectors: need {EXPECTED}, found {got}; run scripts/setup-python")


# ---------------------------------------------------------------------------------------------
# Upper Layer PDUs


def rq_context(cid, abstract, syntaxes):
    cx = PresentationContext()
    cx.context_id = cid
    cx.abstract_syntax = abstract
    cx.transfer_syntax = list(syntaxes)
    return cx


def ac_context(cid, result, syntax):
    cx = PresentationContext()
    cx.context_id = cid
    cx.result = result
    cx.transfer_syntax = [syntax]
    return cx


def user_info(max_len, extra=()):
    """User information in the order pynetdicom's ServiceUser emits it:
    51 Maximum Length, 52 Implementation Class UID, 55 Implementation Version Name, then the
    extended negotiation items (54 role selection, 53 async ops window, ..., 58 user identity)."""
    ml = MaximumLengthNotification()
    ml.maximum_length_received = max_len
    ic = ImplementationClassUIDNotification()
    ic.implementation_class_uid = IMPL_UID
    iv = ImplementationVersionNameNotification()
    iv.implementation_version_name = IMPL_VERSION
    return [ml, ic, iv, *extra]


def assoc_primitive(contexts, max_len, extra=(), results=None):
    p = A_ASSOCIATE()
    p.application_context_name = APP_CONTEXT
    p.called_ae_title = CALLED
    p.calling_ae_title = CALLING
    if results is None:
        p.presentation_context_definition_list = contexts
    else:
        p.presentation_context_definition_results_list = results
    p.user_information = user_info(max_len, extra)
    return p


def associate_rq(contexts, max_len, extra=()):
    return A_ASSOCIATE_RQ(assoc_primitive(contexts, max_len, extra)).encode()


def associate_ac(results, max_len, extra=()):
    return A_ASSOCIATE_AC(assoc_primitive([], max_len, extra, results=results)).encode()


def associate_rj(result, source, reason):
    p = A_ASSOCIATE()
    p.result = result
    p.result_source = source
    p.diagnostic = reason
    return A_ASSOCIATE_RJ(p).encode()


def abort_user():
    p = A_ABORT()
    p.abort_source = 0
    return A_ABORT_RQ(p).encode()


def abort_provider(reason):
    p = A_P_ABORT()
    p.provider_reason = reason
    return A_ABORT_RQ(p).encode()


def release_rq():
    return A_RELEASE_RQ(A_RELEASE()).encode()


def release_rp():
    p = A_RELEASE()
    p.result = "affirmative"
    return A_RELEASE_RP(p).encode()


def display_contexts():
    return [
        rq_context(1, DISPLAY_SYSTEM, [ExplicitVRLittleEndian, ImplicitVRLittleEndian]),
        rq_context(3, VERIFICATION, [ImplicitVRLittleEndian]),
    ]


def role_selection():
    r = SCP_SCU_RoleSelectionNegotiation()
    r.sop_class_uid = DISPLAY_SYSTEM
    r.scu_role = True
    r.scp_role = False
    return r


def async_window():
    a = AsynchronousOperationsWindowNegotiation()
    a.maximum_number_operations_invoked = 1
    a.maximum_number_operations_performed = 1
    return a


def user_identity():
    u = UserIdentityNegotiation()
    u.user_identity_type = 2
    u.positive_response_requested = True
    u.primary_field = b"alice"
    u.secondary_field = b"secret"
    return u


# ---------------------------------------------------------------------------------------------
# DIMSE messages -> P-DATA-TF PDUs


def pdata_pdus(message_cls, primitive, context_id, max_pdu):
    """primitive_to_message + encode_msg, exactly as DIMSEServiceProvider.send_msg does;
    returns the list of encoded P-DATA-TF PDUs (command first, then data set fragments)."""
    msg = message_cls()
    msg.primitive_to_message(primitive)
    return [P_DATA_TF(p).encode() for p in msg.encode_msg(context_id, max_pdu)]


def n_get_rq(attr_list, msg_id=1):
    p = N_GET()
    p.MessageID = msg_id
    p.RequestedSOPClassUID = DISPLAY_SYSTEM
    p.RequestedSOPInstanceUID = DISPLAY_SYSTEM_INSTANCE
    if attr_list is not None:
        p.AttributeIdentifierList = attr_list
    return p


def n_get_rsp(status, dataset=None, ts=ImplicitVRLittleEndian, msg_id=1, **extra):
    """As pynetdicom's ServiceClass._n_get_scp builds it: Affected SOP Class/Instance UID
    copied from the request, status-dataset elements copied over, the Attribute List encoded
    with the presentation context's transfer syntax (only for Success/Warning)."""
    p = N_GET()
    p.MessageIDBeingRespondedTo = msg_id
    p.AffectedSOPClassUID = DISPLAY_SYSTEM
    p.AffectedSOPInstanceUID = DISPLAY_SYSTEM_INSTANCE
    p.Status = status
    for k, v in extra.items():
        setattr(p, k, v)
    if dataset is not None:
        raw = encode(dataset, ts.is_implicit_VR, ts.is_little_endian, ts.is_deflated)
        assert raw is not None
        p.AttributeList = io.BytesIO(raw)
    return p


def small_dataset():
    ds = Dataset()
    ds.Manufacturer = "ACME"
    item = Dataset()
    item.DisplaySubsystemID = 1
    item.SystemStatus = "OK"
    ds.DisplaySubsystemSequence = Sequence([item])
    return ds


def large_dataset():
    ds = Dataset()
    ds.Manufacturer = "ACME"
    ds.InstitutionName = "General Hospital Radiology"
    ds.InstitutionAddress = "1 Example Street, Springfield, 12345, Nowhere"
    ds.StationName = "READING-ROOM-2"
    ds.ManufacturerModelName = "ACME DiagView 3MP"
    ds.DeviceSerialNumber = "SN-0001-2024-XYZ"
    ds.SoftwareVersions = ["3.1.4", "FW 2024.06"]
    items = []
    for n, (name, desc, status, comment) in enumerate(
        [
            ("Left Diagnostic", "Left primary diagnostic monitor, 3 megapixel", "OK",
             "Calibrated to GSDF, last QC passed"),
            ("Right Diagnostic", "Right primary diagnostic monitor, 3 megapixel", "OK",
             "Calibrated to GSDF, last QC passed"),
            ("Worklist", "Colour worklist monitor for the reading room", "WARNING",
             "Luminance below target, recalibrate"),
        ],
        start=1,
    ):
        item = Dataset()
        item.DisplaySubsystemID = n
        item.DisplaySubsystemName = name
        item.DisplaySubsystemDescription = desc
        item.SystemStatus = status
        item.SystemStatusComment = comment
        items.append(item)
    ds.DisplaySubsystemSequence = Sequence(items)
    return ds


def c_echo_rq(msg_id=7):
    p = C_ECHO()
    p.MessageID = msg_id
    p.AffectedSOPClassUID = VERIFICATION
    return p


def c_echo_rsp(msg_id=7):
    p = C_ECHO()
    p.MessageIDBeingRespondedTo = msg_id
    p.AffectedSOPClassUID = VERIFICATION
    p.Status = 0x0000
    return p


# ---------------------------------------------------------------------------------------------
# Vector table: name -> (description lines, list of PDUs)

AE_DESC = f"called AE '{CALLED}', calling AE '{CALLING}' (space-padded to 16 bytes)"
IMPL_DESC = (
    f"Implementation Class UID {IMPL_UID}, Implementation Version Name {IMPL_VERSION} "
    "(pynetdicom defaults)"
)
UI_ORDER = "user-information sub-items in pynetdicom's order: "
PC_DESC = [
    f"PC 1: abstract syntax Display System {DISPLAY_SYSTEM}, transfer syntaxes "
    f"Explicit VR LE {ExplicitVRLittleEndian} then Implicit VR LE {ImplicitVRLittleEndian}",
    f"PC 3: abstract syntax Verification {VERIFICATION}, transfer syntax "
    f"Implicit VR LE {ImplicitVRLittleEndian}",
]
NGET_RQ_DESC = (
    f"N-GET-RQ on PC 1, Message ID 1, Requested SOP Class {DISPLAY_SYSTEM} (Display System), "
    f"Requested SOP Instance {DISPLAY_SYSTEM_INSTANCE}"
)
NGET_RSP_DESC = (
    f"N-GET-RSP on PC 1, Message ID Being Responded To 1, Affected SOP Class {DISPLAY_SYSTEM}, "
    f"Affected SOP Instance {DISPLAY_SYSTEM_INSTANCE} (pynetdicom's SCP copies both from the request)"
)
SMALL_DS_DESC = (
    "data set: (0008,0070) Manufacturer 'ACME'; (0028,7023) Display Subsystem Sequence, one item: "
    "(0028,7003) Display Subsystem ID 1, (0028,7006) System Status 'OK' "
    "(pydicom writes defined-length SQ and items)"
)


def vectors():
    v = {}
    app = f"Application Context {APP_CONTEXT}"

    v["a-associate-rq-display"] = (
        [
            f"A-ASSOCIATE-RQ: {AE_DESC}; {app}",
            *PC_DESC,
            f"Maximum Length 16382; {IMPL_DESC}",
            UI_ORDER + "51, 52, 55",
        ],
        [associate_rq(display_contexts(), 16382)],
    )
    v["a-associate-rq-userid"] = (
        [
            f"A-ASSOCIATE-RQ (with user identity): {AE_DESC}; {app}",
            PC_DESC[0] + " (no PC 3)",
            f"Maximum Length 16384; {IMPL_DESC}",
            "User Identity: type 2 (username and passcode), primary 'alice', secondary 'secret', "
            "positive response requested",
            UI_ORDER + "51, 52, 55, 58",
        ],
        [associate_rq(display_contexts()[:1], 16384, [user_identity()])],
    )
    v["a-associate-rq-role-async"] = (
        [
            f"A-ASSOCIATE-RQ: {AE_DESC}; {app}",
            *PC_DESC,
            f"Maximum Length 16382; {IMPL_DESC}",
            f"SCP/SCU Role Selection for {DISPLAY_SYSTEM}: SCU-role 1, SCP-role 0",
            "Asynchronous Operations Window: invoked 1, performed 1",
            UI_ORDER + "51, 52, 55, 54, 53 (not ascending: the standard allows any order; "
            "a pynetdicom requestor with ext_neg=[role, async] sends exactly this)",
        ],
        [associate_rq(display_contexts(), 16382, [role_selection(), async_window()])],
    )

    v["a-associate-ac-display"] = (
        [
            "A-ASSOCIATE-AC answering a-associate-rq-display; reserved AE fields echo "
            f"'{CALLED}'/'{CALLING}'; {app}",
            f"PC 1: result 0 acceptance, transfer syntax Explicit VR LE {ExplicitVRLittleEndian}",
            f"PC 3: result 0 acceptance, transfer syntax Implicit VR LE {ImplicitVRLittleEndian}",
            f"Maximum Length 16382; {IMPL_DESC}",
        ],
        [
            associate_ac(
                [
                    ac_context(1, 0, ExplicitVRLittleEndian),
                    ac_context(3, 0, ImplicitVRLittleEndian),
                ],
                16382,
            )
        ],
    )
    v["a-associate-ac-rejected-pc3"] = (
        [
            "A-ASSOCIATE-AC answering a-associate-rq-display with one context rejected; "
            f"reserved AE fields echo '{CALLED}'/'{CALLING}'; {app}",
            f"PC 1: result 0 acceptance, transfer syntax Explicit VR LE {ExplicitVRLittleEndian}",
            "PC 3: result 3 abstract-syntax-not-supported; the transfer syntax sub-item is still "
            f"present and holds the first proposed syntax, Implicit VR LE {ImplicitVRLittleEndian} "
            "(what pynetdicom's negotiate_as_acceptor puts there)",
            f"Maximum Length 16382; {IMPL_DESC}",
        ],
        [
            associate_ac(
                [
                    ac_context(1, 0, ExplicitVRLittleEndian),
                    ac_context(3, 3, ImplicitVRLittleEndian),
                ],
                16382,
            )
        ],
    )
    v["a-associate-ac-rejected-pc1"] = (
        [
            "A-ASSOCIATE-AC answering a-associate-rq-display as a C-ECHO-only SCP would "
            f"(e.g. DCMTK storescp); reserved AE fields echo '{CALLED}'/'{CALLING}'; {app}",
            "PC 1: result 3 abstract-syntax-not-supported; transfer syntax sub-item holds the first "
            f"proposed syntax, Explicit VR LE {ExplicitVRLittleEndian} (pynetdicom's choice)",
            f"PC 3: result 0 acceptance, transfer syntax Implicit VR LE {ImplicitVRLittleEndian}",
            f"Maximum Length 16382; {IMPL_DESC}",
        ],
        [
            associate_ac(
                [
                    ac_context(1, 3, ExplicitVRLittleEndian),
                    ac_context(3, 0, ImplicitVRLittleEndian),
                ],
                16382,
            )
        ],
    )
    v["a-associate-ac-userid"] = (
        [
            "A-ASSOCIATE-AC answering a-associate-rq-userid (with a user identity response); "
            f"reserved AE fields echo '{CALLED}'/'{CALLING}'; {app}",
            f"PC 1: result 0 acceptance, transfer syntax Explicit VR LE {ExplicitVRLittleEndian}",
            f"Maximum Length 16384; {IMPL_DESC}",
            "no User Identity response (59H): the acceptor did not authenticate",
        ],
        [associate_ac([ac_context(1, 0, ExplicitVRLittleEndian)], 16384)],
    )

    for (r, s, d), name, text in [
        ((1, 1, 7), "a-associate-rj-1-1-7", "rejected-permanent / service-user / called-AE-title-not-recognized"),
        ((1, 1, 3), "a-associate-rj-1-1-3", "rejected-permanent / service-user / calling-AE-title-not-recognized"),
        ((1, 2, 2), "a-associate-rj-1-2-2", "rejected-permanent / service-provider (ACSE) / protocol-version-not-supported"),
        ((2, 3, 2), "a-associate-rj-2-3-2", "rejected-transient / service-provider (presentation) / local-limit-exceeded"),
    ]:
        v[name] = ([f"A-ASSOCIATE-RJ result {r}, source {s}, reason {d}: {text}"], [associate_rj(r, s, d)])

    v["a-release-rq"] = (["A-RELEASE-RQ"], [release_rq()])
    v["a-release-rp"] = (["A-RELEASE-RP"], [release_rp()])
    v["a-abort-user"] = (["A-ABORT source 0 (service-user), reason 0"], [abort_user()])
    for reason, text in [
        (0, "reason-not-specified"),
        (1, "unrecognized-PDU"),
        (2, "unexpected-PDU"),
        (6, "invalid-PDU-parameter-value"),
    ]:
        v[f"a-abort-provider-{reason}"] = (
            [f"A-ABORT source 2 (service-provider), reason {reason}: {text} (from an A-P-ABORT primitive)"],
            [abort_provider(reason)],
        )

    v["n-get-rq-attr-list"] = (
        [NGET_RQ_DESC, "Attribute Identifier List (0000,1005): (0008,0070), (0028,7023); max PDU 16382",
         "Command Data Set Type 0101H; one P-DATA-TF, one command PDV (MCH 03)"],
        pdata_pdus(N_GET_RQ, n_get_rq([Tag(0x00080070), Tag(0x00287023)]), 1, 16382),
    )
    v["n-get-rq-no-list"] = (
        [NGET_RQ_DESC, "no Attribute Identifier List (parameter None: element omitted = all attributes); max PDU 16382",
         "Command Data Set Type 0101H; one P-DATA-TF, one command PDV (MCH 03)"],
        pdata_pdus(N_GET_RQ, n_get_rq(None), 1, 16382),
    )
    v["n-get-rq-empty-list"] = (
        [NGET_RQ_DESC, "Attribute Identifier List = [] : pynetdicom 3.0.4 keeps [] and writes a "
         "ZERO-LENGTH (0000,1005) element (as send_n_get([]) does); max PDU 16382",
         "Command Data Set Type 0101H; one P-DATA-TF, one command PDV (MCH 03)"],
        pdata_pdus(N_GET_RQ, n_get_rq([]), 1, 16382),
    )

    for ts, name in [(ImplicitVRLittleEndian, "implicit"), (ExplicitVRLittleEndian, "explicit")]:
        v[f"n-get-rsp-success-{name}"] = (
            [NGET_RSP_DESC, "Status 0000H (Success), Command Data Set Type 0001H; max PDU 16382",
             f"{SMALL_DS_DESC}; data set encoded in {TS_NAME[ts]} {ts}",
             "two P-DATA-TF PDUs as pynetdicom emits them: command PDV (MCH 03), then data set PDV (MCH 02)"],
            pdata_pdus(N_GET_RSP, n_get_rsp(0x0000, small_dataset(), ts), 1, 16382),
        )

    big = large_dataset()
    big_len = len(encode(big, False, True))
    v["n-get-rsp-success-fragmented-256"] = (
        [NGET_RSP_DESC, "Status 0000H (Success), Command Data Set Type 0001H; max PDU 256 "
         "(pynetdicom fragments at max_pdu - 6 = 250 bytes per PDV, one PDV per P-DATA-TF)",
         f"data set in Explicit VR LE {ExplicitVRLittleEndian}, {big_len} bytes: (0008,0070) Manufacturer 'ACME', "
         "(0008,0080) Institution Name 'General Hospital Radiology', (0008,0081) Institution Address "
         "'1 Example Street, Springfield, 12345, Nowhere', (0008,1010) Station Name 'READING-ROOM-2', "
         "(0008,1090) Manufacturer's Model Name 'ACME DiagView 3MP', (0018,1000) Device Serial Number "
         "'SN-0001-2024-XYZ', (0018,1020) Software Versions '3.1.4\\FW 2024.06' (VM 2),",
         "(0028,7023) Display Subsystem Sequence, 3 items, each (0028,7003) ID, (0028,7004) Name, "
         "(0028,7005) Description, (0028,7006) System Status, (0028,7007) System Status Comment:",
         "item 1: 1 / 'Left Diagnostic' / 'Left primary diagnostic monitor, 3 megapixel' / 'OK' / "
         "'Calibrated to GSDF, last QC passed'",
         "item 2: 2 / 'Right Diagnostic' / 'Right primary diagnostic monitor, 3 megapixel' / 'OK' / "
         "'Calibrated to GSDF, last QC passed'",
         "item 3: 3 / 'Worklist' / 'Colour worklist monitor for the reading room' / 'WARNING' / "
         "'Luminance below target, recalibrate'",
         "PDUs: command (MCH 03), then data set PDVs MCH 00 ... 00, last MCH 02; fragment "
         "boundaries fall inside elements (decoders must reassemble)"],
        pdata_pdus(N_GET_RSP, n_get_rsp(0x0000, big, ExplicitVRLittleEndian), 1, 256),
    )

    v["n-get-rsp-0112"] = (
        [NGET_RSP_DESC, "Status 0112H (Failure: No such SOP Instance), no data set, "
         "Command Data Set Type 0101H; max PDU 16382; one P-DATA-TF"],
        pdata_pdus(N_GET_RSP, n_get_rsp(0x0112), 1, 16382),
    )
    v["n-get-rsp-0110"] = (
        [NGET_RSP_DESC, "Status 0110H (Failure: Processing failure) with (0000,0902) Error Comment "
         "'Handler failed', no data set, Command Data Set Type 0101H; max PDU 16382; one P-DATA-TF"],
        pdata_pdus(N_GET_RSP, n_get_rsp(0x0110, ErrorComment="Handler failed"), 1, 16382),
    )
    v["n-get-rsp-0107"] = (
        [NGET_RSP_DESC, "Status 0107H (Warning: Attribute list error) with (0000,1005) Attribute "
         "Identifier List = (0028,7008) (single tag, VM 1), Command Data Set Type 0001H; max PDU 16382",
         f"{SMALL_DS_DESC}; data set encoded in Explicit VR LE {ExplicitVRLittleEndian} "
         "(PC 1's syntax in a-associate-ac-display)",
         "two P-DATA-TF PDUs: command PDV (MCH 03), then data set PDV (MCH 02)"],
        pdata_pdus(
            N_GET_RSP,
            n_get_rsp(0x0107, small_dataset(), ExplicitVRLittleEndian,
                      AttributeIdentifierList=[Tag(0x00287008)]),
            1,
            16382,
        ),
    )

    v["c-echo-rq"] = (
        [f"C-ECHO-RQ on PC 3, Message ID 7, Affected SOP Class {VERIFICATION} (Verification), "
         "Command Data Set Type 0101H; max PDU 16382; one P-DATA-TF"],
        pdata_pdus(C_ECHO_RQ, c_echo_rq(7), 3, 16382),
    )
    v["c-echo-rsp"] = (
        [f"C-ECHO-RSP on PC 3, Message ID Being Responded To 7, Affected SOP Class {VERIFICATION}, "
         "Status 0000H, Command Data Set Type 0101H; max PDU 16382; one P-DATA-TF"],
        pdata_pdus(C_ECHO_RSP, c_echo_rsp(7), 3, 16382),
    )
    return v


# ---------------------------------------------------------------------------------------------
# Output


PDU_NAMES = {1: "A-ASSOCIATE-RQ", 2: "A-ASSOCIATE-AC", 3: "A-ASSOCIATE-RJ", 4: "P-DATA-TF",
             5: "A-RELEASE-RQ", 6: "A-RELEASE-RP", 7: "A-ABORT"}


def pdu_comment(n, pdu):
    length = struct.unpack(">I", pdu[2:6])[0]
    assert length + 6 == len(pdu)
    text = f"# PDU {n}: {PDU_NAMES[pdu[0]]}, PDU-length {length} ({len(pdu)} bytes)"
    if pdu[0] == 4:
        pdvs, off = [], 6
        while off < len(pdu):
            ilen = struct.unpack(">I", pdu[off:off + 4])[0]
            pdvs.append(f"PDV len {ilen} PC {pdu[off + 4]} MCH {pdu[off + 5]:02x}")
            off += 4 + ilen
        text += ": " + "; ".join(pdvs)
    return text


def render(desc, pdus):
    lines = [ORIGIN]
    lines += [f"# {d}" for d in desc]
    total = sum(len(p) for p in pdus)
    lines.append(f"# {len(pdus)} PDU(s), {total} bytes in all; hex lines below are one byte string")
    for n, pdu in enumerate(pdus, start=1):
        lines.append(pdu_comment(n, pdu))
        h = pdu.hex()
        lines += [h[i:i + 64] for i in range(0, len(h), 64)]
    return "\n".join(lines) + "\n"


def write_all():
    OUT.mkdir(parents=True, exist_ok=True)
    vs = vectors()
    for name, (desc, pdus) in vs.items():
        (OUT / f"{name}.hex").write_text(render(desc, pdus))
    print(f"gen-vectors: wrote {len(vs)} files to {OUT.relative_to(ROOT)}")


# ---------------------------------------------------------------------------------------------
# --verify-live: compare with what real pynetdicom associations put on the wire


def read_pdu(sock):
    def exact(n):
        buf = b""
        while len(buf) < n:
            chunk = sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("peer closed")
            buf += chunk
        return buf

    head = exact(6)
    return head + exact(struct.unpack(">I", head[2:6])[0])


def read_message(sock):
    """Read P-DATA-TF PDUs until the last fragment of a data set, or of a command without one."""
    pdus = []
    while True:
        pdu = read_pdu(sock)
        pdus.append(pdu)
        mch = pdu[11]
        if mch == 0x02:
            return pdus
        if mch == 0x03:
            # Command Data Set Type: 0101H means no data set follows.
            cmd = pdu[12:]
            if b"\x00\x00\x00\x08\x02\x00\x00\x00\x01\x01" in cmd:
                return pdus


def verify_live():
    from pynetdicom import AE, evt

    vs = {k: b"".join(p) for k, (_, p) in vectors().items()}
    failures = []

    def check(what, got, name):
        ok = got == vs[name]
        print(f"  {'ok  ' if ok else 'DIFF'} {what} == {name}")
        if not ok:
            failures.append(name)
            print(f"    got      {got.hex()}\n    expected {vs[name].hex()}")

    # 1. pynetdicom as SCU against a raw-socket acceptor.
    print("live: pynetdicom SCU -> raw peer")
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    captured = {}
    replies = ["n-get-rsp-success-explicit", "n-get-rsp-success-explicit",
               "n-get-rsp-success-explicit", "c-echo-rsp"]

    def raw_acceptor():
        conn, _ = srv.accept()
        with conn:
            captured["rq"] = read_pdu(conn)
            conn.sendall(vs["a-associate-ac-display"])
            for n, reply in enumerate(replies):
                captured[n] = b"".join(read_message(conn))
                conn.sendall(vs[reply])
            captured["release"] = read_pdu(conn)
            conn.sendall(vs["a-release-rp"])

    t = threading.Thread(target=raw_acceptor, daemon=True)
    t.start()
    ae = AE(ae_title=CALLING)
    ae.add_requested_context(DISPLAY_SYSTEM, [ExplicitVRLittleEndian, ImplicitVRLittleEndian])
    ae.add_requested_context(VERIFICATION, [ImplicitVRLittleEndian])
    assoc = ae.associate("127.0.0.1", srv.getsockname()[1], ae_title=CALLED, max_pdu=16382,
                         ext_neg=[role_selection(), async_window()])
    assert assoc.is_established, "association not established"
    for attrs in ([Tag(0x00080070), Tag(0x00287023)], None, []):
        status, ds = assoc.send_n_get(attrs, DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, msg_id=1)
        assert status and status.Status == 0 and ds.Manufacturer == "ACME", status
    status = assoc.send_c_echo(msg_id=7)
    assert status and status.Status == 0, status
    assoc.release()
    t.join(10)
    srv.close()
    check("SCU A-ASSOCIATE-RQ with ext_neg=[role, async]", captured["rq"], "a-associate-rq-role-async")
    check("SCU send_n_get([(0008,0070), (0028,7023)])", captured[0], "n-get-rq-attr-list")
    check("SCU send_n_get(None)", captured[1], "n-get-rq-no-list")
    check("SCU send_n_get([])", captured[2], "n-get-rq-empty-list")
    check("SCU send_c_echo(msg_id=7)", captured[3], "c-echo-rq")
    check("SCU A-RELEASE-RQ", captured["release"], "a-release-rq")

    # 2. pynetdicom as SCP against a raw-socket requestor. Its handler answers successive
    #    N-GETs with these (status, data set) pairs; PC 1 was accepted with Explicit VR LE.
    print("live: raw peer -> pynetdicom SCP")
    failed = Dataset()
    failed.Status = 0x0110
    failed.ErrorComment = "Handler failed"
    warning = Dataset()
    warning.Status = 0x0107
    warning.AttributeIdentifierList = [Tag(0x00287008)]
    answers = [
        (0x0000, small_dataset(), "n-get-rsp-success-explicit"),
        (0x0112, None, "n-get-rsp-0112"),
        (failed, None, "n-get-rsp-0110"),
        (warning, small_dataset(), "n-get-rsp-0107"),
        (0x0000, large_dataset(), "n-get-rsp-success-fragmented-256"),
    ]
    pending = list(answers)

    def on_n_get(event):
        status, ds, _ = pending.pop(0)
        return status, ds

    scp = AE(ae_title=CALLED)
    scp.add_supported_context(DISPLAY_SYSTEM, [ExplicitVRLittleEndian, ImplicitVRLittleEndian])
    scp.add_supported_context(VERIFICATION, [ImplicitVRLittleEndian])
    server = scp.start_server(("127.0.0.1", 0), block=False, evt_handlers=[(evt.EVT_N_GET, on_n_get)])
    try:
        with socket.create_connection(server.server_address, timeout=10) as c:
            c.sendall(vs["a-associate-rq-display"])
            check("SCP A-ASSOCIATE-AC", read_pdu(c), "a-associate-ac-display")
            for status, _, name in answers[:-1]:
                c.sendall(vs["n-get-rq-attr-list"])
                check(f"SCP N-GET-RSP, handler status {getattr(status, 'Status', status):04x}",
                      b"".join(read_message(c)), name)
            c.sendall(vs["c-echo-rq"])
            check("SCP C-ECHO-RSP", b"".join(read_message(c)), "c-echo-rsp")
            c.sendall(vs["a-release-rq"])
            check("SCP A-RELEASE-RP", read_pdu(c), "a-release-rp")
        # A second association whose requestor announces Maximum Length 256.
        with socket.create_connection(server.server_address, timeout=10) as c:
            c.sendall(associate_rq(display_contexts(), 256))
            assert read_pdu(c)[0] == 0x02
            c.sendall(vs["n-get-rq-attr-list"])
            check("SCP N-GET-RSP to a requestor with max PDU 256", b"".join(read_message(c)),
                  answers[-1][2])
            c.sendall(vs["a-release-rq"])
            read_pdu(c)
    finally:
        server.shutdown()

    if failures:
        sys.exit(f"gen-vectors: live check differs for {failures}")
    print("gen-vectors: live check passed")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--verify-live", action="store_true",
                    help="compare with real pynetdicom associations on 127.0.0.1; writes nothing")
    args = ap.parse_args()
    check_versions()
    if args.verify_live:
        verify_live()
    else:
        write_all()


if __name__ == "__main__":
    main()
