"""The bank simulator's SNAP face: enough of a SNAP provider's direct-debit API for the SNAP adapter
(signatures checked, binding with OTP, payment, status inquiry, refund, signed notify callbacks),
backed by ``Bank``, so the whole HTTP path runs locally."""

from billing.gateways.simulator.snap_face.app import Delivery, SnapFaceConfig, make_app
from billing.gateways.simulator.snap_face.face import Answer, SnapFace
from billing.gateways.simulator.snap_face.server import SnapFaceServer, build, serve

__all__ = ["Answer", "Delivery", "SnapFace", "SnapFaceConfig", "SnapFaceServer", "build", "make_app", "serve"]
