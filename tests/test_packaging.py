"""The wheel ships every Python package of the source tree."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_every_subpackage_is_listed_in_pyproject():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "streamleap").rglob("__init__.py")}
    assert found <= listed, f"add {sorted(found - listed)} to [tool.setuptools] packages"


def test_every_macro_file_of_the_dbt_package_ships():
    """package-data globs do not descend into folders: each depth of dbt_package/macros (plugins/<adapter>/)
    needs its pattern."""
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["streamleap.dbt_package"]
    package = ROOT / "dbt_package"
    shipped = {p for pattern in patterns for p in package.glob(pattern)}
    assert set((package / "macros").rglob("*.sql")) <= shipped
