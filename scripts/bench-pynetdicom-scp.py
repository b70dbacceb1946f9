#!/usr/bin/env python3
"""A pynetdicom 3.0.4 Display System SCP for scripts/bench: serves the data set in FILE
(Explicit VR LE bytes, as `nget_cost --dump` writes it) to every N-GET.

Usage: bench-pynetdicom-scp.py PORT FILE [--nodelay]

As shipped, pynetdicom never sets TCP_NODELAY and writes a response's command and data set
in two sends; --nodelay sets it on every accepted socket, to measure what that costs.
"""
import socket
import sys
from io import BytesIO

from pynetdicom import AE, _config, evt
from pynetdicom.dsutils import decode
from pynetdicom.sop_class import DisplaySystem, Verification
from pynetdicom.transport import AssociationServer

_config.LOG_HANDLER_LEVEL = "none"

port = int(sys.argv[1])
with open(sys.argv[2], "rb") as f:
    DATASET = decode(BytesIO(f.read()), False, True)

if "--nodelay" in sys.argv:
    get_request = AssociationServer.get_request

    def nodelay_request(self):
        sock, addr = get_request(self)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock, addr

    AssociationServer.get_request = nodelay_request


def handle(event):
    return 0x0000, DATASET


ae = AE(ae_title="DISPLAY")
ae.maximum_associations = 128
ae.add_supported_context(DisplaySystem, ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2"])
ae.add_supported_context(Verification)
print("listening", flush=True)
ae.start_server(("127.0.0.1", port), block=True, evt_handlers=[(evt.EVT_N_GET, handle)])
