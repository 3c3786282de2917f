"""Omilia OCP sign-in: the regional URLs and the Keycloak token life cycle.

OCP's IAM is Keycloak (vendor-contracts.md section 4): an OAuth2 resource-owner password
grant with `client_id=ocp` (no client secret), optional `otp` for 2FA, refresh with
`grant_type=refresh_token`, logout with the refresh token. Tokens live on the client
instance and, encrypted, in Django's cache keyed by account, so the several clients a
job builds for one account share one Keycloak session. They are never written anywhere
unencrypted and are registered with the HTTP seam as secrets so audit rows redact them.
"""

import hashlib
import json
import logging
import time
from dataclasses import asdict, dataclass

from django.core.cache import cache

from ..base import AuthFailed, InvalidRequest, MalformedResponse, VendorError
from ..http import VendorResponse, non_vendor_message

logger = logging.getLogger("telephony.vendors")

CLIENT_ID = "ocp"
SWARM_TOKEN_PATH = "/auth/realms/master/protocol/openid-connect/token"
# Refresh this long before the access token expires (less for very short tokens).
REFRESH_MARGIN_SECONDS = 30.0


@dataclass(frozen=True)
class RegionURLs:
    """Where one OCP environment lives: the numbers API base and the token endpoint."""

    api_base: str
    token_url: str

    @property
    def logout_url(self) -> str:
        # Keycloak serves logout next to token: .../openid-connect/{token,logout}.
        head, sep, _ = self.token_url.rstrip("/").rpartition("/")
        return f"{head}{sep}logout"


# Numbers API bases: the seed document. Token endpoints: vendor-contracts.md section 4
# (EU1/US1 on the API host, US2 on its own auth host).
REGIONS: dict[str, RegionURLs] = {
    "EU1": RegionURLs(
        api_base="https://eu1-m.ocp.ai/integrations",
        token_url="https://eu1-m.ocp.ai" + SWARM_TOKEN_PATH,
    ),
    "US1": RegionURLs(
        api_base="https://us1-m.ocp.ai/integrations",
        token_url="https://us1-m.ocp.ai" + SWARM_TOKEN_PATH,
    ),
    "US2": RegionURLs(
        api_base="https://us2-m.ocp.ai/integrations",
        token_url="https://auth.us2-m.ocp.ai" + SWARM_TOKEN_PATH,
    ),
    # GUESS: US1W is missing from every public token-endpoint table (one version lists
    # the host with its URL blank). It is a swarm environment like EU1/US1, so we assume
    # Keycloak on the numbers API host with the master realm. Override with a custom
    # token URL on the account if this turns out wrong.
    "US1W": RegionURLs(
        api_base="https://us1-w-m.ocp.ai/integrations",
        token_url="https://us1-w-m.ocp.ai" + SWARM_TOKEN_PATH,
    ),
}


def region_urls(region: str) -> RegionURLs:
    key = (region or "").strip().upper().replace("-", "")
    if key not in REGIONS:
        raise InvalidRequest({"region": f"Unknown region {region!r}; use one of {list(REGIONS)}."})
    return REGIONS[key]


def resolve_urls(*, region: str = "", base_url: str = "", token_url: str = "") -> RegionURLs:
    """A custom numbers API base (with its token URL) wins over the region table."""
    base_url = (base_url or "").strip().rstrip("/")
    token_url = (token_url or "").strip()
    if base_url:
        if not token_url:
            if not region:
                raise InvalidRequest(
                    {"token_url": "A custom base URL needs the token URL of its environment."}
                )
            token_url = region_urls(region).token_url
        return RegionURLs(api_base=base_url, token_url=token_url)
    if not region:
        raise InvalidRequest({"region": "Choose a region or give a custom base URL."})
    urls = region_urls(region)
    return RegionURLs(api_base=urls.api_base, token_url=token_url or urls.token_url)


@dataclass
class TokenSet:
    """One Keycloak grant, with absolute (epoch) expiry times read from the response."""

    access_token: str
    refresh_token: str
    expires_at: float
    renew_at: float
    refresh_expires_at: float | None
    session_state: str = ""

    @classmethod
    def from_response(cls, data, now: float) -> "TokenSet":
        if not isinstance(data, dict):
            raise MalformedResponse("The token endpoint did not answer with a JSON object.")
        access = data.get("access_token")
        expires_in = data.get("expires_in")
        if not isinstance(access, str) or not access or not _is_number(expires_in):
            raise MalformedResponse(
                "The token endpoint's answer has no access_token and expires_in."
            )
        expires_in = float(expires_in)
        margin = min(REFRESH_MARGIN_SECONDS, expires_in / 2)
        refresh_in = data.get("refresh_expires_in")
        # Keycloak says 0 for refresh tokens that do not expire (offline sessions).
        refresh_at = now + float(refresh_in) if _is_number(refresh_in) and refresh_in else None
        return cls(
            access_token=access,
            refresh_token=str(data.get("refresh_token") or ""),
            expires_at=now + expires_in,
            renew_at=now + expires_in - margin,
            refresh_expires_at=refresh_at,
            session_state=str(data.get("session_state") or ""),
        )

    def access_usable(self, now: float) -> bool:
        return bool(self.access_token) and now < self.renew_at

    def refresh_usable(self, now: float) -> bool:
        if not self.refresh_token:
            return False
        return self.refresh_expires_at is None or now < self.refresh_expires_at - 1

    def lifetime(self, now: float) -> int:
        end = max(self.expires_at, self.refresh_expires_at or 0)
        return max(int(end - now), 1)


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0


def classify_token_response(response: VendorResponse) -> VendorError | None:
    """Keycloak's error bodies ({"error", "error_description"}) are auth failures: the
    account cannot sign in until its credentials change. 429/5xx keep their defaults."""
    data = response.data
    status = response.status_code
    if status < 400 or status == 429 or status >= 500:
        return None
    if isinstance(data, dict) and data.get("error"):
        return AuthFailed(
            str(data.get("error_description") or data["error"]),
            status_code=status,
            vendor_code=str(data["error"]),
            payload=data,
        )
    # Not Keycloak's envelope (a proxy's or another server's page): its status only.
    return AuthFailed(non_vendor_message(response), status_code=status)


class KeycloakAuth:
    """Mixin for OmiliaClient: hands out a valid access token, renewing as needed."""

    clock = staticmethod(time.time)

    def _init_auth(self):
        self._tokens: TokenSet | None = None
        self._cache_loaded = False

    # --- the public life cycle -------------------------------------------------------

    def access_token(self) -> str:
        """A usable access token: cached, refreshed before expiry, or a fresh grant."""
        now = self.clock()
        tokens = self._current_tokens()
        if tokens and tokens.access_usable(now):
            return tokens.access_token
        if tokens and tokens.refresh_usable(now):
            try:
                return self._store(
                    self._grant(self._refresh_form(tokens.refresh_token))
                ).access_token
            except AuthFailed as exc:
                # Expired, revoked or unknown refresh token ("Token is not active",
                # "Session not active"): sign in again with the password.
                logger.info("omilia refresh refused (%s); signing in again", exc.message)
        return self.authenticate().access_token

    def authenticate(self) -> TokenSet:
        """The password grant (with the OTP when the account has one)."""
        return self._store(self._grant(self._password_form()))

    def refresh(self) -> TokenSet:
        """Trade the refresh token for new tokens (raises AuthFailed if it is not active)."""
        tokens = self._current_tokens()
        if not tokens or not tokens.refresh_token:
            raise AuthFailed("No refresh token: sign in first.", vendor=self.vendor)
        return self._store(self._grant(self._refresh_form(tokens.refresh_token)))

    def invalidate_access_token(self):
        """Forget the access token (the API refused it); the refresh token stays."""
        tokens = self._current_tokens()
        if tokens:
            tokens.renew_at = tokens.expires_at = 0
            self._save_cache(tokens)

    def logout(self) -> bool:
        """End the Keycloak session (204). False if there was no session to end."""
        tokens = self._current_tokens()
        self._tokens = None
        self._clear_cache()
        if not tokens or not tokens.refresh_token:
            return False
        self.http.request(
            "POST",
            self.urls.logout_url,
            endpoint="/auth/realms/master/protocol/openid-connect/logout",
            data={"client_id": CLIENT_ID, "refresh_token": tokens.refresh_token},
            classify=classify_token_response,
            expect_json=False,
            idempotent=True,
        )
        return True

    # --- grants ------------------------------------------------------------------------

    def _password_form(self) -> dict:
        username = str(self.config.get("username") or "").strip()
        password = str(self.secrets.get("password") or "")
        problems = {}
        if not username:
            problems["username"] = "The OCP username is required."
        if not password:
            problems["password"] = "The OCP password is required."
        if problems:
            raise InvalidRequest(problems)
        form = {
            "client_id": CLIENT_ID,
            "grant_type": "password",
            "username": username,
            "password": password,
        }
        otp = str(self.secrets.get("otp") or "").strip()
        if otp:
            form["otp"] = otp
        return form

    @staticmethod
    def _refresh_form(refresh_token: str) -> dict:
        return {
            "client_id": CLIENT_ID,
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
        }

    def _grant(self, form: dict) -> TokenSet:
        response = self.http.request(
            "POST",
            self.urls.token_url,
            endpoint="/auth/realms/master/protocol/openid-connect/token",
            data=form,
            classify=classify_token_response,
            # A grant changes nothing we could duplicate: safe to retry on 429/5xx.
            idempotent=True,
        )
        try:
            return TokenSet.from_response(response.data, self.clock())
        except MalformedResponse as exc:
            exc.vendor, exc.status_code = self.vendor, response.status_code
            raise

    def _store(self, tokens: TokenSet) -> TokenSet:
        self.http.add_secret(tokens.access_token)
        self.http.add_secret(tokens.refresh_token)
        self._tokens = tokens
        self._save_cache(tokens)
        return tokens

    # --- the shared, encrypted cache ---------------------------------------------------

    def _current_tokens(self) -> TokenSet | None:
        if self._tokens is None and not self._cache_loaded:
            self._cache_loaded = True
            self._tokens = self._load_cache()
            if self._tokens:
                self.http.add_secret(self._tokens.access_token)
                self.http.add_secret(self._tokens.refresh_token)
        return self._tokens

    def _cache_key(self) -> str | None:
        account = self.account
        if account is None or account.pk is None:
            return None
        try:
            token_url = self.urls.token_url
        except InvalidRequest:
            return None
        created = account.created_at.isoformat() if account.created_at else ""
        ident = f"{account.pk}|{created}|{token_url}|{self.config.get('username', '')}"
        return "omilia-tokens:" + hashlib.sha256(ident.encode()).hexdigest()

    def _load_cache(self) -> TokenSet | None:
        key = self._cache_key()
        blob = cache.get(key) if key else None
        if not blob:
            return None
        from cryptography.fernet import InvalidToken

        from telephony.models import _fernet

        try:
            return TokenSet(**json.loads(_fernet().decrypt(blob.encode())))
        except (InvalidToken, TypeError, ValueError):
            return None

    def _save_cache(self, tokens: TokenSet):
        key = self._cache_key()
        if not key:
            return
        from telephony.models import _fernet

        blob = _fernet().encrypt(json.dumps(asdict(tokens)).encode()).decode()
        cache.set(key, blob, timeout=tokens.lifetime(self.clock()))

    def _clear_cache(self):
        key = self._cache_key()
        if key:
            cache.delete(key)
