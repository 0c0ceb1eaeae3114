{#- DuckDB's stand-in stream (dispatchers in common/stream_source.sql). -#}
{% macro duckdb___bytes_type() -%}blob{%- endmacro %}
