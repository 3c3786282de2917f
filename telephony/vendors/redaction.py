"""Redaction of vendor secrets, in every form the HTTP seam can put them on the wire.

A secret is typed once, but the seam and the vendor can write it out in many forms: as
typed; JSON-escaped (`\\"`, `\\\\`, and `\\u00e9` when `ensure_ascii` is on, as in our
own request excerpts); twice JSON-escaped (a vendor echoing a JSON body inside a JSON
string); percent-encoded in a query string or a form body (quote and quote_plus, of its
UTF-8 or Latin-1 bytes, upper- or lower-case hex); base64; inside an HTTP Basic header
(base64 of "user:password" in Latin-1, which is what requests sends, or UTF-8); and read
back with the wrong character set (UTF-8 bytes read as Latin-1, Latin-1 bytes read as
UTF-8). `Redactor` removes all of them, plus any value under a secret-named field and
any long Basic or Bearer token, so that a secret never reaches an audit row, a log, an
exception message or a page, whatever a vendor (or a server pretending to be one)
echoes back.
"""

import base64
import html
import json
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

REDACTED = "[redacted]"
# Very short values would redact ordinary text; they are not secrets worth the name.
MIN_SECRET_LENGTH = 4

# Field and header names whose values are secrets whatever they contain.
SECRET_KEYS = {
    "token",
    "secret_token",
    "x-api-key",
    "x_api_key",
    "api_key",
    "auth",
    "authorization",
    "password",
    "otp",
    "access_token",
    "refresh_token",
    "id_token",
    "client_secret",
}
_SECRET_KEY_PATTERN = "|".join(re.escape(key) for key in sorted(SECRET_KEYS, key=len, reverse=True))
# "key": "value" in JSON, key=value in forms and query strings.
_JSON_SECRET = re.compile(rf'("(?:{_SECRET_KEY_PATTERN})"\s*:\s*)"(?:[^"\\]|\\.)*"', re.I)
_FORM_SECRET = re.compile(rf"(?<![\w-])((?:{_SECRET_KEY_PATTERN})=)[^&\s]*", re.I)
# A credential in an Authorization header, whoever it belongs to. The token must hold a
# digit or a base64/JWT symbol, so that prose ("Basic Authentication") is left alone.
_AUTH_TOKEN = re.compile(r"\b(Basic|Bearer)\s+(?=[\w+/.~-]*[0-9+/._~-])[\w+/.~-]{8,}=*")
_PERCENT = re.compile(r"%[0-9A-F]{2}")


def redact_secret_fields(text: str) -> str:
    """`text` with the value of every secret-named key=value pair removed: for lines
    written by code that holds no secret to redact, e.g. urllib3's debug line with the
    URL (MyOperator's REST token travels in the query string, as seed 001 says)."""
    return _FORM_SECRET.sub(rf"\1{REDACTED}", text)


def _json_inner(text: str, *, ascii_only: bool) -> str:
    return json.dumps(text, ensure_ascii=ascii_only)[1:-1]


def _encodings(text: str) -> dict[str, bytes]:
    """The bytes of `text` in the character sets the seam sends (requests: Latin-1 for
    headers and Basic credentials, UTF-8 for bodies and URLs)."""
    found = {}
    for charset in ("utf-8", "latin-1"):
        try:
            found[charset] = text.encode(charset)
        except UnicodeEncodeError:
            continue
    return found


def _base64_forms(raw: bytes) -> set[str]:
    forms = set()
    for encoded in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
        text = encoded.decode("ascii")
        forms |= {text, text.rstrip("=")}
    return forms


def secret_forms(secret: str) -> set[str]:
    """Every spelling of `secret` the seam or a vendor echo can produce (see the module
    docstring), each at least MIN_SECRET_LENGTH long."""
    encoded = _encodings(secret)
    # The secret as typed, and as its bytes read back in the wrong character set.
    readings = {secret}
    for raw in encoded.values():
        readings.add(raw.decode("utf-8", errors="replace"))
        readings.add(raw.decode("latin-1"))
    forms = set()
    for text in readings:
        forms.add(text)
        forms.add(html.escape(text))
        forms.add(repr(text)[1:-1])
        for outer in (True, False):
            once = _json_inner(text, ascii_only=outer)
            forms.add(once)
            for inner in (True, False):
                forms.add(_json_inner(once, ascii_only=inner))
    for charset in encoded:
        for percent in (
            quote(secret, safe="", encoding=charset),
            quote(secret, encoding=charset),  # safe="/", the default of most clients
            quote_plus(secret, safe="", encoding=charset),
        ):
            forms |= {percent, _PERCENT.sub(lambda m: m.group(0).lower(), percent)}
    for raw in encoded.values():
        forms |= _base64_forms(raw)
    return {form for form in forms if len(form) >= MIN_SECRET_LENGTH}


def basic_credential_forms(username: str, password: str) -> set[str]:
    """The token of an HTTP Basic header for this login: base64 of "user:password" in
    Latin-1 (what requests sends) and in UTF-8 (RFC 7617's charset="UTF-8")."""
    return set().union(
        *(_base64_forms(raw) for raw in _encodings(f"{username}:{password}").values())
    )


class Redactor:
    """Removes known secret values (in every form, see secret_forms), secret-named fields
    and Authorization tokens from any text."""

    def __init__(self, secrets: Iterable[str] = ()):
        self.secrets: set[str] = set()
        self._forms: set[str] = set()
        self._pattern: re.Pattern | None = None
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None):
        """Register a secret (an account's, or one learned at run time)."""
        if not secret or len(str(secret)) < MIN_SECRET_LENGTH:
            return
        secret = str(secret)
        if secret not in self.secrets:
            self.secrets.add(secret)
            self._remember(secret_forms(secret))

    def add_basic(self, username: str, password: str | None):
        """Register an HTTP Basic login: its password, and the header's base64 token."""
        if not password:
            return
        self.add(password)
        self._remember(basic_credential_forms(str(username or ""), str(password)))

    def _remember(self, forms: set[str]):
        fresh = forms - self._forms
        if fresh:
            self._forms |= fresh
            self._pattern = None

    def __call__(self, text: str) -> str:
        if not text:
            return text
        if self._forms:
            if self._pattern is None:
                ordered = sorted(self._forms, key=len, reverse=True)
                self._pattern = re.compile("|".join(map(re.escape, ordered)))
            text = self._pattern.sub(REDACTED, text)
        text = _JSON_SECRET.sub(rf'\1"{REDACTED}"', text)
        text = _FORM_SECRET.sub(rf"\1{REDACTED}", text)
        return _AUTH_TOKEN.sub(rf"\1 {REDACTED}", text)
