"""The bank simulator's Stripe face: enough of Stripe's API for the Stripe adapter, backed by ``Bank``,
so the whole HTTP path (adapter, retries, idempotency, webhooks) runs locally."""

from billing.gateways.simulator.stripe_face.app import Delivery, FaceConfig, make_app
from billing.gateways.simulator.stripe_face.face import Answer, StripeFace
from billing.gateways.simulator.stripe_face.server import FaceServer, build, serve

__all__ = ["Answer", "Delivery", "FaceConfig", "FaceServer", "StripeFace", "build", "make_app", "serve"]
