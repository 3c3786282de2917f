"""Settings come from the environment: production values pass `check --deploy`, bad ones
stop the process with an ImproperlyConfigured that names the variable."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

BASE_DIR = Path(__file__).resolve().parents[2]

# Every variable telephony/settings.py reads; cleared so the machine's own values
# (CI sets DATABASE_URL/REDIS_URL for the services run) cannot leak into a case.
SETTINGS_VARIABLES = {
    "PYTEST_XDIST_WORKER",
    "IMPORT_MAX_UPLOAD_MB",
    "CAMPAIGN_DAILY_CAP",
    "CAMPAIGN_LEASE_SECONDS",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "DATABASE_URL",
    "DATABASE_CONN_MAX_AGE",
    "REDIS_URL",
    "Q_WORKERS",
    "FIELD_ENCRYPTION_KEYS",
    "VENDOR_CONNECT_TIMEOUT",
    "VENDOR_READ_TIMEOUT",
    "VENDOR_MAX_RETRIES",
    "VENDOR_ALLOW_LINK_LOCAL",
    "SANDBOX_ENABLED",
    "LOGIN_FAILURE_LIMIT",
    "LOGIN_LOCKOUT_SECONDS",
    "TIME_ZONE",
    "MEDIA_ROOT",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_PRELOAD",
    "LOG_LEVEL",
    "DEMO_PASSWORD",
    "Q_ASYNC_IN_TESTS",
    "TRUSTED_PROXIES",
    "IMPORT_MAX_COLUMNS",
    "IMPORT_MAX_CELL_CHARS",
    "VENDOR_MAX_RESPONSE_MB",
}

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "k3y-" + "x7Qp2Zr9" * 7,  # 60 characters, many distinct ones
    "ALLOWED_HOSTS": "dialdesk.example.com",
    "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
}


@pytest.fixture
def run_python(tmp_path):
    """Run Python in a fresh process with exactly these settings variables. It gets its own
    SQLite file, never the developer's db.sqlite3 (which a running `make run` may hold
    locked, making Django's SQLite feature probes fail)."""

    def run(args, **variables):
        env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
        env["DJANGO_SETTINGS_MODULE"] = "telephony.settings"
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
        env.update(variables)
        return subprocess.run(
            [sys.executable, *args],
            cwd=BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    return run


def test_production_settings_pass_the_deployment_checks_with_no_issues(run_python):
    result = run_python(["manage.py", "check", "--deploy"], **PRODUCTION)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output
    assert "WARNINGS" not in output


def test_production_settings_with_hsts_preload_also_pass_with_nothing_silenced(run_python):
    result = run_python(["manage.py", "check", "--deploy"], **PRODUCTION, SECURE_HSTS_PRELOAD="yes")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues (0 silenced)" in output, output


SETUP = ["-c", "import django; django.setup()"]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DEBUG", "maybe"),
        ("Q_WORKERS", "abc"),
        ("Q_WORKERS", "0"),
        ("VENDOR_READ_TIMEOUT", "soon"),
        ("REDIS_URL", "http://x"),
        ("DATABASE_URL", "nonsense://"),
        ("FIELD_ENCRYPTION_KEYS", "not-a-fernet-key"),
        ("TIME_ZONE", "Mars/Base"),
        ("LOG_LEVEL", "chatty"),
        ("SECRET_KEY", "too-short"),
        ("TRUSTED_PROXIES", "10.0.0.0/8,the-proxy"),
        ("IMPORT_MAX_COLUMNS", "5000"),
        ("VENDOR_ALLOW_LINK_LOCAL", "sometimes"),
    ],
)
def test_an_invalid_value_stops_startup_naming_the_variable(run_python, variable, value):
    result = run_python(SETUP, **{**PRODUCTION, variable: value})
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured: "), result.stderr
    assert variable in last_line


def test_a_bad_key_value_is_never_echoed_in_the_error(run_python):
    secret = Fernet.generate_key().decode()[:-4] + "!!!!"
    result = run_python(SETUP, **{**PRODUCTION, "FIELD_ENCRYPTION_KEYS": secret})
    assert "FIELD_ENCRYPTION_KEYS" in result.stderr
    assert secret not in result.stderr


@pytest.mark.parametrize("variable", ["SECRET_KEY", "FIELD_ENCRYPTION_KEYS"])
def test_production_refuses_to_start_without_its_secrets(run_python, variable):
    variables = {k: v for k, v in PRODUCTION.items() if k != variable}
    result = run_python(SETUP, **variables)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert variable in result.stderr.strip().splitlines()[-1]


def test_valid_development_settings_start_cleanly(run_python):
    result = run_python(SETUP, DEBUG="true", Q_WORKERS="3", TIME_ZONE="Asia/Kolkata")
    assert result.returncode == 0, result.stderr


def variables_read_by_settings() -> set[str]:
    source = (BASE_DIR / "telephony" / "settings.py").read_text()
    pattern = r'(?:os\.environ\.get|env_\w+)\(\s*"([A-Z][A-Z0-9_]*)"'
    return set(re.findall(pattern, source))


def test_every_environment_variable_is_documented_in_the_readme():
    readme = (BASE_DIR / "README.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", readme, flags=re.MULTILINE))
    read = variables_read_by_settings()
    assert len(read) >= 20
    assert read - documented == set(), "add these to README.md's environment table"
    assert documented - read == set(), "README.md documents variables settings.py no longer reads"


def test_these_tests_clear_every_variable_settings_reads():
    assert variables_read_by_settings() - SETTINGS_VARIABLES == set()
