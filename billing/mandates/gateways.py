"""Which payment gateways a mandate may name."""


def known_gateways() -> frozenset[str]:
    # To be replaced by the gateway entry-point registry once the gateways package exists.
    return frozenset({"simulator", "stripe"})
