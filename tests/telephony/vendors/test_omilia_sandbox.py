"""The Omilia simulator over raw HTTP: the seed document's example requests replayed with
the same bodies and headers get answers of the documented shape; Keycloak's errors;
the gateway's 401; paging; group isolation; fault injection."""

import csv
import io
import uuid

import pytest
import requests

from telephony.models import SandboxRecord
from telephony.vendors.omilia import sandbox
from telephony.vendors.omilia.sandbox_state import SANDBOX_MINIAPPS

from .omilia_support import TOKEN_PATH, expire_sandbox_tokens

NUMBER_KEYS = {
    "number",
    "country",
    "groupId",
    "miniAppId",
    "miniAppName",
    "miniAppType",
    "miniAppDiamantAppName",
    "miniAppGroup",
    "locale",
    "note",
    "applicationTag",
}
SET_KEYS = {"id", "name", "groupId", "phoneNumberCount"}
RESULT_KEYS = {"success", "message"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON = {"Content-type": "application/json"}


@pytest.fixture
def region_url(sandbox_url, transactional_db):
    sandbox.seed_demo()
    return f"{sandbox_url}/omilia/eu1"


def sign_in(region_url, **extra) -> dict:
    """The document's curl: form-encoded client_id, grant_type, username, password."""
    form = {
        "client_id": "ocp",
        "grant_type": "password",
        "username": sandbox.SANDBOX_CREDENTIALS["username"],
        "password": sandbox.SANDBOX_CREDENTIALS["password"],
        **extra,
    }
    response = requests.post(f"{region_url}/{TOKEN_PATH}", data=form, headers=FORM, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def api(region_url):
    """Send a request to the numbers API with a fresh bearer token."""
    token = sign_in(region_url)["access_token"]

    def send(method, path, *, headers=None, **kwargs):
        headers = {"Authorization": f"Bearer {token}", **(headers or {})}
        return requests.request(
            method, f"{region_url}/integrations{path}", headers=headers, timeout=10, **kwargs
        )

    return send


def result_shape(response):
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == RESULT_KEYS
    assert isinstance(body["success"], bool) and isinstance(body["message"], str)
    return body


def set_shape(body):
    assert set(body) == SET_KEYS
    assert isinstance(body["id"], str) and isinstance(body["phoneNumberCount"], int)


# --- contract replay ---------------------------------------------------------------------


def test_the_token_example_answers_with_the_documented_fields(region_url):
    body = sign_in(region_url)
    assert set(body) == {
        "access_token",
        "expires_in",
        "refresh_expires_in",
        "refresh_token",
        "token_type",
        "not-before-policy",
        "session_state",
        "scope",
    }
    assert (body["expires_in"], body["refresh_expires_in"]) == (300, 1800)
    assert body["token_type"] == "bearer" and body["access_token"].startswith("eyJ")
    assert body["access_token"].count(".") == 2  # JWT-looking


def test_the_refresh_and_logout_grants_of_omilias_client(region_url):
    first = sign_in(region_url)
    refreshed = requests.post(
        f"{region_url}/{TOKEN_PATH}",
        data={
            "client_id": "ocp",
            "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"],
        },
        timeout=10,
    )
    assert refreshed.status_code == 200
    assert refreshed.json()["session_state"] == first["session_state"]
    logout_url = f"{region_url}/auth/realms/master/protocol/openid-connect/logout"
    out = requests.post(
        logout_url,
        data={"client_id": "ocp", "refresh_token": refreshed.json()["refresh_token"]},
        timeout=10,
    )
    assert out.status_code == 204 and out.content == b""


def test_the_numbers_examples_replayed(api):
    listing = api("GET", "/api/numbers", params={"page": 1, "pageSize": 51, "searchTerm": "%"})
    assert listing.status_code == 200
    body = listing.json()
    assert set(body) == {"numbers", "page", "pageSize", "numberOfPages", "allNumbers"}
    assert (body["page"], body["pageSize"], body["numberOfPages"], body["allNumbers"]) == (
        1,
        51,
        1,
        7,
    )
    assert set(body["numbers"][0]) == NUMBER_KEYS | {"phoneNumbersSetId", "phoneNumbersSetName"}

    offers = api(
        "POST",
        "/api/numbers",
        headers=JSON,
        json={"provider": "twilio", "prefix": "+38", "code": "UA", "group": "dialdesk"},
    )
    assert offers.status_code == 200
    assert offers.json() and all(
        set(item) == {"number", "country", "locality", "region", "price"}
        and isinstance(item["price"], int)
        for item in offers.json()
    )
    offered = offers.json()[0]["number"]

    bought = api(
        "PUT",
        "/api/numbers",
        headers=JSON,
        json={"provider": "twilio", "numbers": [offered], "group": "dialdesk", "note": "string"},
    )
    assert bought.status_code == 200
    assert set(bought.json()) == {"failedNumbers", "purchasedNumbers"}
    assert set(bought.json()["purchasedNumbers"][0]) == {"number", "id"}

    result_shape(
        api(
            "PUT",
            "/api/numbers/group",
            headers=JSON,
            json={"numbers": [offered], "group": "dialdesk-support"},
        )
    )
    app = SANDBOX_MINIAPPS[2]  # Survey_Flow in dialdesk-support
    result_shape(
        api(
            "PUT",
            "/api/numbers/attach",
            headers=JSON,
            json={
                "numbers": [offered],
                "miniAppId": app["miniAppId"],
                "locale": "ee-DO",
                "applicationTag": "string",
            },
        )
    )
    result_shape(api("PUT", "/api/numbers/detach", headers=JSON, json={"numbers": [offered]}))
    result_shape(
        api("PUT", "/api/number/note", headers=JSON, json={"number": offered, "note": "string"})
    )

    search_body = {
        "miniAppName": "",
        "miniAppType": "",
        "number": "",
        "note": "",
        "setId": "",
        "groups": [],
        "page": 0,
        "pageSize": 0,  # the example's duplicated key: the last one wins
        "orderBy": "none",
        "direction": "ASC",
    }
    found = api("POST", "/api/numbers/search", headers=JSON, json=search_body)
    assert found.status_code == 200
    assert set(found.json()) == {"numbers", "page", "pageSize", "numberOfPages", "allNumbers"}
    assert set(found.json()["numbers"][0]) == NUMBER_KEYS | {"phoneNumberSetId"}

    exported = api("POST", "/api/numbers/csv", headers=JSON, json=search_body)
    assert exported.status_code == 200 and exported.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(rows) == 8

    upload = "number,groupId,operation\n+306900000001,dialdesk,create\n"
    result_shape(
        api("PUT", "/api/numbers/csv", files={"File": ("numbers.csv", upload, "text/csv")})
    )

    result_shape(
        api(
            "POST",
            "/api/numbers/direct",
            headers=JSON,
            json={
                "numbers": ["+306900000002"],
                "group": "dialdesk",
                "country": "GR",
                "miniAppId": SANDBOX_MINIAPPS[0]["miniAppId"],
                "locale": "el-GR",
                "logAni": True,
                "logDnis": True,
                "note": "string",
                "applicationTag": "string",
            },
        )
    )
    result_shape(api("DELETE", "/api/numbers/delete/+306900000002"))


def test_the_numbers_set_examples_replayed(api):
    created = api(
        "POST", "/api/numbers-set", headers=JSON, json={"name": "string", "groupId": "dialdesk"}
    )
    assert created.status_code == 200
    set_shape(created.json())
    set_id = created.json()["id"]

    set_shape(api("GET", f"/api/numbers-set/{set_id}").json())
    for_group = api("GET", "/api/numbers-set/group/dialdesk").json()
    assert isinstance(for_group, list)
    for item in for_group:
        set_shape(item)
    result_shape(
        api(
            "PATCH",
            f"/api/numbers-set/{set_id}",
            headers=JSON,
            json={"groupId": "dialdesk", "name": "renamed"},
        )
    )
    result_shape(
        api(
            "POST",
            f"/api/numbers-set/{set_id}/numbers",
            headers=JSON,
            json={"numbers": ["+302101234567"]},
        )
    )
    members = api("GET", f"/api/numbers-set/{set_id}/numbers").json()
    assert isinstance(members, list) and set(members[0]) == NUMBER_KEYS | {"phoneNumberSetId"}
    mine = api("GET", "/api/numbers-set").json()
    assert isinstance(mine, list) and len(mine) == 3
    for item in mine:
        set_shape(item)
    result_shape(
        api(
            "PUT",
            f"/api/numbers-set/{set_id}/attach",
            json={
                "numbers": ["+302101234567"],
                "miniAppId": SANDBOX_MINIAPPS[0]["miniAppId"],
                "locale": "el-GR",
                "applicationTag": "string",
            },
        )
    )
    result_shape(api("PUT", f"/api/numbers-set/{set_id}/detach"))
    result_shape(
        api(
            "DELETE",
            f"/api/numbers-set/{set_id}/numbers",
            headers=JSON,
            json={"numbers": ["+302101234567"]},
        )
    )
    us_lines = next(item for item in mine if item["name"] == "US lines")
    result_shape(api("DELETE", f"/api/numbers-set/{us_lines['id']}/delete"))
    result_shape(api("DELETE", f"/api/numbers-set/{set_id}"))


# --- Keycloak ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("form", "status", "error", "description"),
    [
        ({"client_id": "ocp"}, 400, "invalid_request", "Missing form parameter: grant_type"),
        (
            {"client_id": "ocp", "grant_type": "password", "username": "dialdesk-demo"},
            401,
            "invalid_grant",
            "Invalid user credentials",
        ),
        (
            {"client_id": "ocp", "grant_type": "password", "username": "nobody", "password": "x"},
            401,
            "invalid_grant",
            "Invalid user credentials",
        ),
        (
            {
                "client_id": "ocp",
                "grant_type": "password",
                "username": "dialdesk-2fa",
                "password": sandbox.SANDBOX_USERS["dialdesk-2fa"]["password"],
                "otp": "000000",
            },
            401,
            "invalid_grant",
            "Invalid user credentials",
        ),
        ({"grant_type": "password"}, 400, "invalid_client", "Missing parameter: client_id"),
        (
            {"client_id": "other", "grant_type": "password"},
            401,
            "invalid_client",
            "Invalid client or Invalid client credentials",
        ),
        (
            {"client_id": "ocp", "grant_type": "refresh_token"},
            400,
            "invalid_request",
            "Missing parameter: refresh_token",
        ),
        (
            {"client_id": "ocp", "grant_type": "refresh_token", "refresh_token": "garbage"},
            400,
            "invalid_grant",
            "Invalid refresh token",
        ),
        (
            {"client_id": "ocp", "grant_type": "client_credentials"},
            400,
            "unsupported_grant_type",
            "Unsupported grant_type",
        ),
    ],
)
def test_keycloak_errors(region_url, form, status, error, description):
    response = requests.post(f"{region_url}/{TOKEN_PATH}", data=form, timeout=10)
    assert response.status_code == status
    assert response.json() == {"error": error, "error_description": description}


def test_a_json_token_request_reads_as_a_missing_grant_type(region_url):
    response = requests.post(
        f"{region_url}/{TOKEN_PATH}",
        json={"client_id": "ocp", "grant_type": "password"},
        timeout=10,
    )
    assert response.status_code == 400
    assert response.json()["error_description"] == "Missing form parameter: grant_type"


def test_an_expired_refresh_token_is_not_active(region_url):
    refresh = sign_in(region_url)["refresh_token"]
    expire_sandbox_tokens("refresh")
    response = requests.post(
        f"{region_url}/{TOKEN_PATH}",
        data={"client_id": "ocp", "grant_type": "refresh_token", "refresh_token": refresh},
        timeout=10,
    )
    assert (response.status_code, response.json()["error_description"]) == (
        400,
        "Token is not active",
    )


def test_the_token_lifetimes_are_configurable(region_url, monkeypatch):
    monkeypatch.setitem(sandbox.TOKEN_LIFETIMES, "access", 60)
    assert sign_in(region_url)["expires_in"] == 60


def test_an_unknown_realm_does_not_exist(sandbox_url, transactional_db):
    response = requests.post(
        f"{sandbox_url}/omilia/eu1/auth/realms/nope/protocol/openid-connect/token",
        data={"client_id": "ocp", "grant_type": "password"},
        timeout=10,
    )
    assert response.status_code == 404
    assert response.json()["error"] == "Realm does not exist"


def test_tokens_are_stored_hashed(region_url):
    body = sign_in(region_url)
    keys = set(
        SandboxRecord.objects.filter(vendor="omilia", kind="token").values_list("key", flat=True)
    )
    assert body["access_token"] not in keys and len(keys) == 2
    stored = str(list(SandboxRecord.objects.filter(vendor="omilia").values_list("data", flat=True)))
    assert body["access_token"] not in stored and body["refresh_token"] not in stored


# --- the gateway's 401 --------------------------------------------------------------------


@pytest.mark.parametrize("header", [None, "Bearer not-a-token", "Basic abc"])
def test_a_request_without_a_valid_bearer_gets_springs_401(region_url, header):
    headers = {"Authorization": header} if header else {}
    response = requests.get(f"{region_url}/integrations/api/numbers", headers=headers, timeout=10)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    body = response.json()
    assert set(body) == {"timestamp", "status", "error", "path"}
    assert (body["status"], body["error"], body["path"]) == (401, "Unauthorized", "/api/numbers")


def test_an_expired_access_token_gets_401(region_url, api):
    expire_sandbox_tokens("access")
    assert api("GET", "/api/numbers-set").status_code == 401


def test_a_token_of_one_region_is_refused_by_another(sandbox_url, region_url):
    token = sign_in(region_url)["access_token"]
    response = requests.get(
        f"{sandbox_url}/omilia/us2/integrations/api/numbers",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 401


def test_the_us2_keycloak_issues_its_own_tokens(sandbox_url, transactional_db):
    token = sign_in(f"{sandbox_url}/omilia/us2")["access_token"]
    response = requests.get(
        f"{sandbox_url}/omilia/us2/integrations/api/numbers",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 200 and response.json()["allNumbers"] == 0


def test_an_unsupported_method_is_springs_405(api):
    response = api("PATCH", "/api/numbers", json={})
    assert response.status_code == 405
    assert response.json()["message"] == "Request method 'PATCH' is not supported"


# --- paging, validation, isolation -----------------------------------------------------


def test_paging_reports_pages_and_totals(api):
    pages = [
        api("GET", "/api/numbers", params={"page": page, "pageSize": 3}).json()
        for page in (1, 2, 3, 4)
    ]
    assert [len(p["numbers"]) for p in pages] == [3, 3, 1, 0]
    assert {(p["numberOfPages"], p["allNumbers"]) for p in pages} == {(3, 7)}
    seen = [n["number"] for p in pages for n in p["numbers"]]
    assert len(set(seen)) == 7


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"page": 0}, "page: must be greater than or equal to 1"),
        ({"pageSize": 0}, "pageSize: must be greater than or equal to 1"),
        (
            {"pageSize": "ten"},
            "Failed to convert value of type 'java.lang.String' to required type 'int'; "
            'For input string: "ten"',
        ),
        ({"orderBy": "price"}, "orderBy: must be one of"),
        ({"direction": "UP"}, "direction: must be one of ASC, DESC"),
    ],
)
def test_bad_paging_parameters_are_springs_400(api, params, message):
    response = api("GET", "/api/numbers", params=params)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "Bad Request" and body["message"].startswith(message)


def test_bean_validation_messages(api):
    response = api(
        "PUT",
        "/api/numbers/attach",
        headers=JSON,
        json={"numbers": ["+12025550143"], "miniAppId": "", "locale": "en_US"},
    )
    assert response.status_code == 400
    assert response.json()["message"] == (
        'miniAppId: must not be blank; locale: must match "^[a-z]{2}-[A-Z]{2}$"'
    )
    assert api("POST", "/api/numbers/search", headers=JSON).json()["message"] == (
        "Required request body is missing"
    )


def test_a_bad_csv_row_changes_nothing(api):
    upload = (
        "number,groupId,operation\n"
        "+306900000003,dialdesk,create\n"
        "+12025550143,,rename\n"
        "+19999999999,,delete\n"
    )
    response = api("PUT", "/api/numbers/csv", files={"File": ("n.csv", upload, "text/csv")})
    assert response.status_code == 400
    assert response.json()["message"] == (
        "Invalid CSV: line 3: unknown operation 'rename'; "
        "line 4: phone number +19999999999 not found"
    )
    listing = api("GET", "/api/numbers", params={"searchTerm": "+3069"}).json()
    assert listing["allNumbers"] == 0


@pytest.mark.parametrize("part", ["other", "file"])
def test_a_csv_upload_needs_its_part_named_File_as_seed_003_says(api, part):
    response = api("PUT", "/api/numbers/csv", files={part: ("n.csv", "x", "text/csv")})
    assert response.status_code == 400
    assert response.json()["message"] == "Required part 'File' is not present."


def test_users_see_only_their_groups(region_url):
    acme = sign_in(
        region_url,
        username="acme-ops",
        password=sandbox.SANDBOX_USERS["acme-ops"]["password"],
    )["access_token"]
    response = requests.get(
        f"{region_url}/integrations/api/numbers",
        headers={"Authorization": f"Bearer {acme}"},
        timeout=10,
    )
    assert [n["number"] for n in response.json()["numbers"]] == ["+13125550199"]
    forbidden = requests.get(
        f"{region_url}/integrations/api/numbers-set/group/dialdesk",
        headers={"Authorization": f"Bearer {acme}"},
        timeout=10,
    )
    assert forbidden.status_code == 403


def test_seed_demo_is_idempotent(region_url):
    before = SandboxRecord.objects.filter(vendor="omilia").exclude(kind="token").count()
    sandbox.seed_demo()
    assert SandboxRecord.objects.filter(vendor="omilia").exclude(kind="token").count() == before
    countries = {
        rec.data["country"] for rec in SandboxRecord.objects.filter(vendor="omilia", kind="number")
    }
    assert countries == {"US", "GB", "GR", "DE", "CY", "IN"}


# --- faults -----------------------------------------------------------------------------


def test_injected_faults_use_the_vendors_bodies(api, region_url):
    key = uuid.uuid4().hex
    error = api("GET", "/api/numbers", headers={"X-Sandbox-Fault": f"error;count=1;key={key}"})
    assert error.status_code == 500
    assert error.json()["error"] == "Internal Server Error"
    assert api("GET", "/api/numbers", headers={"X-Sandbox-Fault": f"error;count=1;key={key}"}).ok

    limited = api("GET", "/api/numbers", headers={"X-Sandbox-Fault": "ratelimit"})
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"

    keycloak = requests.post(
        f"{region_url}/{TOKEN_PATH}", data={}, headers={"X-Sandbox-Fault": "error"}, timeout=10
    )
    assert keycloak.status_code == 500 and keycloak.json() == {"error": "unknown_error"}


def test_a_configured_rate_limit_applies_per_bearer(api, sandbox_config):
    sandbox_config("omilia", rate_limit_per_minute=2)
    # Five calls: even if the minute rolls over once, one bucket sees a third request.
    statuses = [api("GET", "/api/numbers-set").status_code for _ in range(5)]
    assert statuses[0] == 200 and 429 in statuses
    assert set(statuses) == {200, 429}
