"""Every URL pattern of the project, checked for every persona.

Anonymous users are sent to log in, a role without the view's permission gets 403,
and a role with it gets the page. A view without an access rule fails here.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from telephony.access import PUBLIC, ROLE_PERMISSIONS
from tests.url_samples import POST_SAMPLES, URL_SAMPLES


def iter_patterns(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from iter_patterns(entry, inner)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name}" if entry.name else None, entry


ALL_PATTERNS = [(name, pattern) for name, pattern in iter_patterns()]
NAMED = sorted({name for name, _ in ALL_PATTERNS if name})


def test_every_url_pattern_has_a_name_and_an_access_rule():
    missing = [
        f"{name or pattern.pattern}"
        for name, pattern in ALL_PATTERNS
        if not name or not getattr(pattern.callback, "access", None)
    ]
    assert not missing, f"URL patterns without a name or an access rule: {missing}"


def allowed(role: str, access: str) -> bool:
    return access.split(".")[-1] in ROLE_PERMISSIONS[role]


def fetch(client, name, pattern):
    kwargs = URL_SAMPLES[name]() if name in URL_SAMPLES else {}
    url = reverse(name, kwargs=kwargs)
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url, POST_SAMPLES.get(name, {}))
    return response


def pattern_needs_arguments(pattern) -> bool:
    return bool(pattern.pattern.converters) or "(?P<" in str(pattern.pattern)


@pytest.mark.parametrize("name", NAMED)
def test_each_persona_gets_what_its_role_allows(name, persona):
    pattern = next(p for n, p in ALL_PATTERNS if n == name)
    access = pattern.callback.access
    if pattern_needs_arguments(pattern):
        assert name in URL_SAMPLES, f"{name} takes arguments: add it to tests/url_samples.py"
    persona_name, user, client = persona
    response = fetch(client, name, pattern)
    location = response.get("Location", "") or response.get("HX-Redirect", "")

    if access == PUBLIC:
        assert "/accounts/login/" not in location or name == "logout"
        return
    if persona_name == "anonymous":
        assert response.status_code == 302 and "/accounts/login/" in location, (
            f"{name}: anonymous got {response.status_code}, not a redirect to log in"
        )
    elif not allowed(persona_name.capitalize(), access):
        assert response.status_code == 403, (
            f"{name}: {persona_name} should get 403, got {response.status_code}"
        )
    else:
        assert response.status_code < 400 and "/accounts/login/" not in location, (
            f"{name}: {persona_name} should get the page, got {response.status_code}"
        )
        if response.request["REQUEST_METHOD"] == "GET":
            assert response.status_code == 200, f"{name}: GET gave {response.status_code}"
