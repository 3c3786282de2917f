"""MyOperator: OBD (outbound dialer) and developers REST API client, mapping, simulator."""
