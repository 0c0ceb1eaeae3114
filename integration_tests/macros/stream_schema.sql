{#- The schema of the stream: the local stand-in's schema on DuckDB and Postgres (the external
    schema FROM KINESIS on Redshift). The mirrors' streamleap_table.stream_schema in
    models/_shop_cdc__models.yml reads the same environment variable. -#}
{% macro stream_schema() -%}
  {{ return(env_var('STREAMLEAP_IT_STREAM_SCHEMA', 'kinesis')) }}
{%- endmacro %}
