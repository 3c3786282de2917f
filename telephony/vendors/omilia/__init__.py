"""Omilia OCP: the numbers and phone-number-sets API (integrations service) behind a
Keycloak OAuth2 password grant. client.py is the client, sandbox.py the simulator."""
