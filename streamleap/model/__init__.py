"""What streamleap knows of a source table and what it builds for it, before anything exists:
the table (``source_table``), how each column type lands in Redshift, DuckDB and Postgres
(``type_mapping``, with its generated Markdown table ``type_doc``), and the mirror design of a
table (``mirror_plan``)."""
