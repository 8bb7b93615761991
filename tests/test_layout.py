"""The import layout from DESIGN.md: four folders, one ``koepel`` namespace, and the
standard library's ``platform`` left alone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_stdlib_platform_is_not_shadowed_from_the_repository_root():
    code = (
        "import platform, koepel.platform.money as m, sysconfig;"
        "print(platform.__file__); print(m.__file__); platform.python_version()"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    stdlib = Path(out[0]).resolve()
    assert stdlib.parent != ROOT / "platform"
    assert not str(stdlib).startswith(str(ROOT))
    assert Path(out[1]).resolve() == ROOT / "platform" / "money.py"


def test_platform_folder_has_no_init_and_there_is_no_koepel_folder():
    assert not (ROOT / "platform" / "__init__.py").exists()
    assert not (ROOT / "koepel").exists()
    assert (ROOT / "templates" / "__init__.py").exists()


def test_code_imports_the_namespace_only():
    offenders = []
    for folder in ("platform", "tenants", "bids", "contracts", "tests"):
        for path in (ROOT / folder).rglob("*.py"):
            for line in path.read_text().splitlines():
                stripped = line.strip()
                for bare in ("tenants", "bids", "contracts"):
                    if stripped.startswith((f"import {bare}", f"from {bare}")):
                        offenders.append(f"{path}: {stripped}")
    assert offenders == []


def test_platform_depends_on_no_domain_module():
    offenders = [
        str(path)
        for path in (ROOT / "platform").rglob("*.py")
        for bare in ("koepel.tenants", "koepel.bids", "koepel.contracts")
        if bare in path.read_text()
    ]
    assert offenders == []
