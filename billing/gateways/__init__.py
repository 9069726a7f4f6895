"""Payment gateways: the adapter contract, the failure taxonomy, the registry and the bank simulator."""
