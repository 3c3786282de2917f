"""The self-hosted Asterisk CPaaS: client (client.py), status mapping (mapping.py) and its
simulator (sandbox.py views over simulation.py state), served under /sandbox/cpaas/."""
