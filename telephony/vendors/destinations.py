"""Where a vendor base URL may point: anywhere but link-local and cloud metadata addresses.

Admins set vendor base URLs (self-hosted CPaaS servers live on private networks, the
simulators on localhost), so private and loopback addresses stay allowed. But a base URL
on 169.254.0.0/16, fe80::/10 or a cloud metadata service (169.254.169.254, AWS's
fd00:ec2::254, Alibaba's 100.100.100.200, metadata.google.internal, …) would send the
account's credentials there and show its answers in the account page: refused unless
settings.VENDOR_ALLOW_LINK_LOCAL says otherwise.

It is checked three times: by the credential forms when a URL is saved (with the host
name resolved), by the seam before each request (DNS can change after saving), and on
the socket the seam actually connects (GuardedAdapter), so that a name that resolves
differently a millisecond later (DNS rebinding) is caught too.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

SETTING = "VENDOR_ALLOW_LINK_LOCAL"

LINK_LOCAL_NETWORKS = (
    ipaddress.ip_network("169.254.0.0/16"),  # IPv4 link-local, home of 169.254.169.254
    ipaddress.ip_network("fe80::/10"),  # IPv6 link-local
)
METADATA_ADDRESSES = {
    ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, Oracle, DigitalOcean, …
    ipaddress.ip_address("fd00:ec2::254"),  # AWS IMDS over IPv6
    ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
}
METADATA_HOSTS = {
    "metadata",
    "metadata.google.internal",
    "metadata.goog",
    "metadata.azure.internal",
    "metadata.tencentyun.com",
    "instance-data",
    "instance-data.ec2.internal",
}


class ForbiddenDestination(ValueError):
    """A vendor URL that points at a link-local or cloud metadata address."""


def allowed() -> bool:
    return bool(getattr(settings, SETTING, False))


def forbidden_address(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip in METADATA_ADDRESSES or any(ip in net for net in LINK_LOCAL_NETWORKS)


def _refusal(host: str, address: str = "") -> ForbiddenDestination:
    where = f"{host} ({address})" if address and address != host else host
    return ForbiddenDestination(
        f"{where} is a link-local or cloud metadata address: Dialdesk does not send vendor "
        f"credentials there. Use the vendor's own address (or set {SETTING}=true if this "
        "really is your vendor)."
    )


def check_url(url: str, *, resolve: bool = True):
    """Raise ForbiddenDestination if `url` points at a link-local or metadata address.

    Host names are resolved (every address they resolve to must be allowed); a name
    that does not resolve passes, since the request would fail anyway and is checked
    again when it is sent."""
    if allowed():
        return
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".").lower()
        port = parts.port
    except ValueError:
        return  # not a URL the form's URL check or requests would accept anyway
    if not host:
        return
    if host in METADATA_HOSTS:
        raise _refusal(host)
    if forbidden_address(host):
        raise _refusal(host)
    if not resolve:
        return
    try:
        infos = socket.getaddrinfo(host, port or 443, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return
    for info in infos:
        address = str(info[4][0])
        if forbidden_address(address):
            raise _refusal(host, address)


# --- the last check: the address the socket really connected to -------------------------


class _GuardedConnectionMixin:
    def _new_conn(self):
        sock = super()._new_conn()
        try:
            peer = sock.getpeername()[0]
        except OSError:
            return sock
        if not allowed() and forbidden_address(str(peer)):
            sock.close()
            raise _refusal(self.host, str(peer))
        return sock


class _GuardedHTTPConnection(_GuardedConnectionMixin, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_GuardedConnectionMixin, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class GuardedAdapter(HTTPAdapter):
    """requests' adapter whose direct connections refuse link-local and metadata peers.
    (Through a proxy the peer is the proxy; the seam's check before sending remains.)"""

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _GuardedHTTPPool,
            "https": _GuardedHTTPSPool,
        }
