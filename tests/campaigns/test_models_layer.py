"""Models never import the engine (STYLE.md, "Layers"; issue 10, section 8): the engine
registers what a campaign's lifecycle asks of it (campaigns/models/lifecycle.py)."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
MODELS = BASE_DIR / "campaigns" / "models"
# What the models may use from the campaigns package: its pure clock, nothing that runs.
LOWER = [BASE_DIR / "campaigns" / "clock.py"]


def imported_modules(text: str, package: str) -> list[str]:
    """Every module `text` (a module of `package`) imports, anywhere in it (functions
    included), as absolute dotted names."""
    names = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            names.append(module)
            names.extend(f"{module}.{alias.name}" for alias in node.names)
    return names


def engine_imports(text: str, package: str) -> list[str]:
    return [
        name
        for name in imported_modules(text, package)
        if name == "campaigns.engine" or name.startswith("campaigns.engine.")
    ]


@pytest.mark.parametrize(
    "path",
    [*sorted(MODELS.glob("*.py")), *LOWER],
    ids=lambda path: str(path.relative_to(BASE_DIR)),
)
def test_no_model_module_imports_the_engine(path):
    package = ".".join(path.relative_to(BASE_DIR).parts[:-1])
    found = engine_imports(path.read_text(), package)
    assert not found, f"{path.name} imports {found}"


def test_the_scan_sees_every_spelling_of_an_engine_import():
    sample = (
        "import campaigns.engine.jobs\n"
        "from ..engine import Runner\n"
        "from campaigns import engine\n"
        "def later():\n"
        "    from campaigns.engine.native import sync\n"
    )
    found = engine_imports(sample, "campaigns.models")
    assert {
        "campaigns.engine.jobs",
        "campaigns.engine.Runner",
        "campaigns.engine",
        "campaigns.engine.native",
    } <= set(found)


def test_loading_the_models_loads_no_engine_module():
    """In a fresh process with the engine's registration (CampaignsConfig.ready) left
    out, setting Django up, which imports every app's models, imports no engine module."""
    code = (
        "import sys, django\n"
        "import campaigns.apps\n"
        "campaigns.apps.CampaignsConfig.ready = lambda self: None\n"
        "django.setup()\n"
        "import campaigns.models\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('campaigns.engine'))\n"
        "print(','.join(loaded))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "telephony.settings", "DEBUG": "true"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "", f"loading the models imported {done.stdout.strip()}"


def test_the_engine_is_registered_for_the_lifecycle():
    import campaigns.engine
    from campaigns.models.lifecycle import engine

    assert engine() is campaigns.engine
