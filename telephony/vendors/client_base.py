"""The base every vendor client builds on: one account, one VendorHTTP seam."""

from .http import VendorHTTP


class VendorClient:
    vendor = ""

    def __init__(self, account, *, http: VendorHTTP | None = None):
        self.account = account
        self.config = dict(account.config or {})
        self.secrets = account.secrets
        self.http = http or VendorHTTP(
            self.vendor, account=account, secrets=account.secret_values()
        )

    def url(self, base: str, path: str) -> str:
        return base.rstrip("/") + "/" + path.lstrip("/")

    def check_connection(self):
        """Call the vendor's cheapest read endpoint; return a ConnectionCheck."""
        raise NotImplementedError
