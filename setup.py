"""Map the four code folders into one import namespace, ``koepel``.

``platform`` is also a standard-library module, so the folders cannot be importable
top-level packages (see ../shared/DESIGN.md). The package list is computed rather than
written by hand: a sub-package missing from a hand-written list is silently dropped
from the wheel.
"""

from setuptools import find_namespace_packages, setup

ROOTS = {
    "koepel.platform": "platform",
    "koepel.tenants": "tenants",
    "koepel.bids": "bids",
    "koepel.contracts": "contracts",
    "koepel.templates": "templates",
    "koepel.migrations": "migrations",
}

package_dir = dict(ROOTS)
packages = list(ROOTS)
for name, root in ROOTS.items():
    for sub in find_namespace_packages(root, exclude=["__pycache__*"]):
        packages.append(f"{name}.{sub}")
        package_dir[f"{name}.{sub}"] = f"{root}/{sub.replace('.', '/')}"

DATA = [
    "*.html",
    "*.txt",
    "*.po",
    "*.mo",
    "*.pot",
    "*.css",
    "*.js",
    "*.svg",
    "*.png",
    "*.woff2",
    "*.ini",
    "*.mako",
    "*.json",
    "py.typed",
]

setup(
    packages=packages,
    package_dir=package_dir,
    package_data={name: DATA for name in packages},
)
