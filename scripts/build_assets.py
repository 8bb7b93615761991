#!/usr/bin/env python3
"""Copy the front-end assets Koepel serves from node_modules/ to platform/static/vendor/.

Run by the Makefile after ``npm ci`` (which installs the exact versions pinned
in package.json / package-lock.json). Uses only the Python standard library.

What ends up in platform/static/vendor/ (git-ignored, rebuilt on every set-up):

* ``utrecht-component-library.css`` - the bundled CSS of all NL Design System
  components (@utrecht/component-library-css, dist/index.css).
* ``utrecht-design-tokens.css`` - the design tokens as CSS custom properties,
  scoped to the ``.utrecht-theme`` class (@utrecht/design-tokens, dist/index.css:
  the ``.utrecht-theme`` block plus the theme's page-footer overrides; it does
  not touch ``:root``).
* ``noto-sans/noto-sans.css`` + ``noto-sans/files/*.woff2`` - the "Noto Sans
  Variable" web font that the design tokens name as the document font
  (@fontsource-variable/noto-sans, a dependency of @utrecht/design-tokens), so
  no font is loaded from a CDN. Only the font files that the CSS refers to are
  copied.
* ``axe.min.js`` - axe-core, for the automated accessibility tests.
* ``licenses/`` - the licence texts of the packages above.
* ``versions.json`` - which package versions were copied.

The script is idempotent: files that are already up to date are left alone and
files in vendor/ that are no longer part of the set are removed.
Exit status: 0 on success, 1 with a clear message when node_modules/ (or a file
in it) is missing.
"""

from __future__ import annotations

import filecmp
import json
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
VENDOR = ROOT / "platform" / "static" / "vendor"

# (source relative to node_modules/, destination relative to vendor/)
FILES: list[tuple[str, str]] = [
    ("@utrecht/component-library-css/dist/index.css", "utrecht-component-library.css"),
    ("@utrecht/design-tokens/dist/index.css", "utrecht-design-tokens.css"),
    ("axe-core/axe.min.js", "axe.min.js"),
]

# Web font: the CSS file, plus every file it refers to with url(./...).
FONT_PACKAGE = "@fontsource-variable/noto-sans"
FONT_CSS_SOURCE = f"{FONT_PACKAGE}/index.css"
FONT_CSS_DEST = "noto-sans/noto-sans.css"

# (package, licence file in that package, destination in vendor/licenses/)
LICENSES: list[tuple[str, str, str]] = [
    ("@utrecht/component-library-css", "LICENSE.md", "utrecht-component-library-css.md"),
    ("@utrecht/design-tokens", "LICENSE.md", "utrecht-design-tokens.md"),
    (FONT_PACKAGE, "LICENSE", "noto-sans.txt"),
    ("axe-core", "LICENSE", "axe-core.txt"),
]

VERSIONED_PACKAGES = [
    "@utrecht/component-library-css",
    "@utrecht/design-tokens",
    FONT_PACKAGE,
    "axe-core",
]

URL_RE = re.compile(r"""url\(\s*['"]?(\./[^'")\s]+)['"]?\s*\)""")


class BuildError(Exception):
    """A problem the user can fix (normally: run `npm ci` first)."""


def _source(rel: str) -> Path:
    path = NODE_MODULES / rel
    if not path.is_file():
        raise BuildError(
            f"Missing file: node_modules/{rel}\n"
            "Run `npm ci` in the repository root first (or `make assets`)."
        )
    return path


def _package_version(package: str) -> str:
    manifest = _source(f"{package}/package.json")
    return json.loads(manifest.read_text(encoding="utf-8"))["version"]


def _font_files() -> list[tuple[str, str]]:
    """The font CSS and the font files that it refers to."""
    css_path = _source(FONT_CSS_SOURCE)
    css = css_path.read_text(encoding="utf-8")
    pairs = [(FONT_CSS_SOURCE, FONT_CSS_DEST)]
    dest_dir = Path(FONT_CSS_DEST).parent
    for ref in sorted(set(URL_RE.findall(css))):
        rel = Path(ref)  # e.g. ./files/noto-sans-latin-wght-normal.woff2
        if ".." in rel.parts:
            raise BuildError(f"Unexpected font url {ref!r} in node_modules/{FONT_CSS_SOURCE}")
        pairs.append((f"{FONT_PACKAGE}/{rel.as_posix()}", (dest_dir / rel).as_posix()))
    return pairs


def _copy(src: Path, dest: Path) -> bool:
    """Copy src to dest when dest is missing or different. Returns True if copied."""
    if dest.is_file() and filecmp.cmp(src, dest, shallow=False):
        return False
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.copyfile(src, tmp)
    tmp.replace(dest)
    return True


def _write_text(dest: Path, text: str) -> bool:
    if dest.is_file() and dest.read_text(encoding="utf-8") == text:
        return False
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(text, encoding="utf-8")
    return True


def _remove_stale(expected: set[Path]) -> list[Path]:
    removed = []
    for path in sorted(VENDOR.rglob("*"), reverse=True):  # children before parents
        if path.is_file() and path not in expected:
            path.unlink()
            removed.append(path)
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return removed


def build() -> None:
    if not NODE_MODULES.is_dir():
        raise BuildError(
            f"{NODE_MODULES} does not exist.\n"
            "Install the front-end packages first: run `npm ci` in the repository "
            "root (or `make assets`), then run this script again."
        )

    pairs = FILES + _font_files()
    pairs += [(f"{pkg}/{name}", f"licenses/{dest}") for pkg, name, dest in LICENSES]

    # Check everything before touching vendor/, so a broken install changes nothing.
    sources = [(_source(src), VENDOR / dest) for src, dest in pairs]
    versions = {pkg: _package_version(pkg) for pkg in VERSIONED_PACKAGES}

    VENDOR.mkdir(parents=True, exist_ok=True)
    copied = [dest for src, dest in sources if _copy(src, dest)]

    versions_file = VENDOR / "versions.json"
    if _write_text(versions_file, json.dumps(versions, indent=2, sort_keys=True) + "\n"):
        copied.append(versions_file)

    expected = {dest for _, dest in sources} | {versions_file}
    removed = _remove_stale(expected)

    rel = lambda p: p.relative_to(ROOT).as_posix()  # noqa: E731
    for path in copied:
        print(f"copied  {rel(path)}")
    for path in removed:
        print(f"removed {rel(path)}")
    print(
        f"build_assets: {len(expected)} files in {rel(VENDOR)} "
        f"({len(copied)} updated, {len(removed)} removed); "
        + ", ".join(f"{pkg} {ver}" for pkg, ver in versions.items())
    )


def main() -> int:
    try:
        build()
    except BuildError as exc:
        print(f"build_assets: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
