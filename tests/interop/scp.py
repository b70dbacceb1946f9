"""pynetdicom as the acceptor (SCP) for our client.

    python scp.py PORT [--catalogue]

Serves Display System (N-GET) and Verification on 127.0.0.1:PORT, accepting any AE title.
The N-GET handler's behaviour depends on the requested SOP Instance UID:

  1.2.840.10008.5.1.1.40.1  Success, with DATASET below (sequences inside sequences,
                            an empty sequence, US/FL/CS/LO values), reduced to the requested
                            attributes when the request has an Attribute Identifier List
  1.2.3.4.112               the int 0x0112 (No Such Object Instance)
  1.2.3.4.110               a Dataset: Status 0x0110 and an ErrorComment
  1.2.3.4.666               event.assoc.abort() inside the handler

With --catalogue it is set up as dimse-testkit's hostile catalogue expects of an acceptor
(for `dimse check --catalogue-setup`): ARTIM (acse_timeout) 0.3 s, network timeout 0.6 s,
DIMSE timeout 5 s; an N-GET whose list names (0013,0010) answered 0.2 s late; attributes
asked for and missing answered 0107H with the Attribute Identifier List of those missing
(PS3.4 EE.4.2.1.3, as our server does).

Protocol on stdout, one line each: "READY <port>" once listening (or the script exits with
a message on stderr: e.g. the port was taken), then one JSON line per N-GET it handled (what
pynetdicom decoded of the request). It stops when stdin closes (the test ended) or when
killed.
"""

import json
import sys
import time

from pydicom.dataset import Dataset
from pydicom.tag import Tag
from pynetdicom import AE, evt

import common
from common import DISPLAY_SYSTEM, DISPLAY_SYSTEM_INSTANCE, VERIFICATION

common.check_versions()
common.log_to_stderr()

ERROR_COMMENT = "Peer says: sensor offline"
CATALOGUE = "--catalogue" in sys.argv[2:]
SLOW_TAG = Tag(0x0013, 0x0010)


def item(**kw):
    ds = Dataset()
    for k, v in kw.items():
        setattr(ds, k, v)
    return ds


def dataset():
    ds = Dataset()
    ds.Manufacturer = "Peer Displays Inc"
    ds.ManufacturerModelName = "PD-9"
    ds.DeviceSerialNumber = "PD9-0042"
    ds.EquipmentAdministratorSequence = []  # an empty sequence
    ds.NumberOfDisplaySubsystems = 2
    ds.TargetLuminanceCharacteristicsSequence = [
        item(
            LuminanceCharacteristicsID=1,
            DisplayFunctionType="GSDF",
            TargetMinimumLuminance=0.5,
            TargetMaximumLuminance=400.0,
            CIExyWhitePoint=[0.3125, 0.3290],
        )
    ]
    ds.DisplaySubsystemSequence = [
        item(
            DisplaySubsystemID=sid,
            DisplaySubsystemName=name,
            SystemStatus=status,
            DisplaySubsystemConfigurationSequence=[
                item(ConfigurationID=1, ConfigurationName="DICOM",
                     ReferencedTargetLuminanceCharacteristicsID=1),
                item(ConfigurationID=2, ConfigurationName="TEXT"),
            ],
        )
        for sid, name, status in [(1, "LEFT", "OK"), (2, "RIGHT", "WARNING")]
    ]
    return ds


def on_n_get(event):
    req = event.request
    attrs = req.AttributeIdentifierList
    if attrs is not None and not isinstance(attrs, list):
        attrs = [attrs]
    print(
        json.dumps(
            {
                "message_id": req.MessageID,
                "class": str(req.RequestedSOPClassUID),
                "instance": str(req.RequestedSOPInstanceUID),
                "attrs": None if attrs is None else [f"{int(t):08X}" for t in attrs],
                "ts": str(event.context.transfer_syntax),
                "calling_ae": event.assoc.requestor.ae_title,
            }
        ),
        flush=True,
    )
    instance = str(req.RequestedSOPInstanceUID)
    if instance == DISPLAY_SYSTEM_INSTANCE:
        ds = dataset()
        if attrs:
            wanted = {Tag(t) for t in attrs}
            for elem in list(ds):
                if elem.tag not in wanted:
                    del ds[elem.tag]
            missing = sorted(wanted - {elem.tag for elem in ds})
            if CATALOGUE and SLOW_TAG in wanted:
                time.sleep(0.2)
            if CATALOGUE and missing:
                status = Dataset()
                status.Status = 0x0107
                status.AttributeIdentifierList = missing
                return status, ds
        return 0x0000, ds
    if instance == "1.2.3.4.112":
        return 0x0112, None
    if instance == "1.2.3.4.110":
        status = Dataset()
        status.Status = 0x0110
        status.ErrorComment = ERROR_COMMENT
        return status, None
    if instance == "1.2.3.4.666":
        event.assoc.abort()
        return 0x0110, None
    return 0x0112, None


ae = AE(ae_title="PEER_SCP")
ae.require_called_aet = False
if CATALOGUE:
    ae.acse_timeout = 0.3
    ae.dimse_timeout = 5
    ae.network_timeout = 0.6
else:
    ae.acse_timeout = 10
    ae.dimse_timeout = 10
    ae.network_timeout = 10
ae.add_supported_context(DISPLAY_SYSTEM)
ae.add_supported_context(VERIFICATION)
port = int(sys.argv[1])
try:
    server = ae.start_server(
        ("127.0.0.1", port), block=False, evt_handlers=[(evt.EVT_N_GET, on_n_get)]
    )
except OSError as e:
    sys.exit(f"scp.py: cannot listen on {port}: {e}")
print(f"READY {server.server_address[1]}", flush=True)
try:
    sys.stdin.read()  # until the test closes our stdin (or kills us)
finally:
    server.shutdown()
