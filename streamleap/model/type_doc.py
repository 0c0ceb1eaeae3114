"""The type mapping as a Markdown table (docs/type-mapping.md is generated from it).

    python -m streamleap.model.type_doc > docs/type-mapping.md
"""

from __future__ import annotations

from streamleap.model.type_mapping import mapping_table

HEADER = """# Type mapping

Generated from `streamleap.model.type_mapping.mapping_table()` by `python -m streamleap.model.type_doc`; a test keeps
it in step. Redshift lengths are bytes (MySQL and Postgres lengths are characters, up to 4 bytes
each in UTF-8); Redshift `TEXT` is VARCHAR(256) and bare `NUMERIC` is NUMERIC(18,0), so neither is
ever emitted. A value that does not fit its column (longer than the byte limit, more decimals than
the scale, out of range, an impossible or zero date, an infinity) is made to fit by the misfit
policy (text and binary cut at the byte limit on a character boundary, decimals rounded to the
scale, the rest NULL; see the README's "Values that do not fit"), and the original record is kept
in the stream's `*_set_aside` model with the column and the reason. With the project variable
`streamleap_on_misfit: set_aside` such a change is set aside whole instead. A type with no rule
(an extension type such as `vector(3)`) keeps its text form in `VARCHAR(65535)`.

| source | source type | Redshift | DuckDB (local) | Postgres (local) | note |
|---|---|---|---|---|---|
"""


def render() -> str:
    lines = [HEADER.rstrip("\n")]
    for dialect, source_type, t in mapping_table():
        note = t.note.replace("|", "\\|")
        lines.append(f"| {dialect} | `{source_type}` | `{t.redshift}` | `{t.duckdb}` | `{t.postgres}` | {note} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")
