"""Shared set-up of the interop scripts run by std-adapter/tests/interop.rs.

Every script prints exactly one JSON document as the LAST line of its stdout; anything
before it is protocol (READY lines, barrier lines). Exit status 0 unless the script itself
broke; DICOM outcomes are reported in the JSON and judged by the Rust test.
"""

import json
import logging
import sys

import pydicom
import pynetdicom
from pynetdicom import _config

# pynetdicom 3.0.4: the standard logging handlers raise on a single-tag Attribute Identifier List.
_config.LOG_HANDLER_LEVEL = "none"

EXPECTED = {"pynetdicom": "3.0.4", "pydicom": "3.0.2"}

DISPLAY_SYSTEM = "1.2.840.10008.5.1.1.40"
DISPLAY_SYSTEM_INSTANCE = "1.2.840.10008.5.1.1.40.1"
VERIFICATION = "1.2.840.10008.1.1"
IMPLICIT_VR_LE = "1.2.840.10008.1.2"
EXPLICIT_VR_LE = "1.2.840.10008.1.2.1"


class WarningLog(logging.Handler):
    """Keeps pynetdicom's warnings and errors, so a test failure can show them and a test
    can recognise pynetdicom's own known races."""

    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.messages = []

    def emit(self, record):
        try:
            self.messages.append(record.getMessage())
        except Exception:  # noqa: BLE001 - a log line must never break a test script
            self.messages.append(str(record.msg))


def capture_warnings():
    """Route pynetdicom's WARNING+ records into a list instead of stderr."""
    log = logging.getLogger("pynetdicom")
    for h in list(log.handlers):
        log.removeHandler(h)
    handler = WarningLog()
    log.addHandler(handler)
    log.setLevel(logging.WARNING)
    log.propagate = False
    return handler


def log_to_stderr():
    """pynetdicom's WARNING+ records on stderr (the test shows them if it fails)."""
    logging.basicConfig(
        stream=sys.stderr, level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("pynetdicom").setLevel(logging.WARNING)


def check_versions():
    got = {"pynetdicom": pynetdicom.__version__, "pydicom": pydicom.__version__}
    if got != EXPECTED:
        sys.exit(f"interop: need {EXPECTED}, found {got}; run scripts/setup-python")


def to_json(ds):
    """A pydicom Dataset as DICOM JSON (PS3.18 F.2), or None."""
    if ds is None:
        return None
    return ds.to_json_dict()


def emit(doc):
    """The final JSON line."""
    sys.stdout.write(json.dumps(doc) + "\n")
    sys.stdout.flush()
