"""OCA Telkom call gateway v1: client (client.py), status mapping (mapping.py) and
simulator (sandbox.py, urls.py)."""
