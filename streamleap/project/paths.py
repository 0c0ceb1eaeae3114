"""Where the dbt package that ships with the library lives."""

from __future__ import annotations

from pathlib import Path


def dbt_package_dir() -> Path:
    """The streamleap dbt package: inside the installed wheel, or at the repository root."""
    library = Path(__file__).resolve().parent.parent  # streamleap/
    for candidate in (library / "dbt_package", library.parent / "dbt_package"):
        if (candidate / "dbt_project.yml").is_file():
            return candidate
    raise FileNotFoundError("the streamleap dbt package is missing from this installation; reinstall streamleap")
