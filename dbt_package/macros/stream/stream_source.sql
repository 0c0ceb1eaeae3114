{#-
  The relation streaming ingestion reads from.

  Redshift: an external schema FROM KINESIS; each stream is the relation schema."stream_name"
  with the GA columns (approximate_arrival_timestamp, partition_key, shard_id, sequence_number,
  refresh_time, kinesis_data). https://docs.aws.amazon.com/redshift/latest/dg/materialized-view-streaming-ingestion-getting-started.html

  DuckDB / Postgres: a local stand-in, schema S with one table per stream holding exactly those
  columns. Anything that appends rows there with a refresh_time behaves like a Redshift REFRESH.

  The DDL of each: common/stream_source.sql (the dispatcher, the local stand-in) and
  plugins/<adapter>/stream_source.sql.
-#}

{% macro stream_relation(stream_schema, stream_name) -%}
  {{ return(api.Relation.create(database=target.database, schema=stream_schema, identifier=stream_name, type='table')) }}
{%- endmacro %}

{#- dbt run-operation streamleap.create_stream_source --args '{stream_schema: kinesis, stream_name: shop_cdc}'
    (stream_kind: kafka for a Kafka topic's stand-in) -#}
{% macro create_stream_source(stream_schema, stream_name, iam_role='default', region=none, stream_kind='kinesis') -%}
  {% set sql = streamleap.create_stream_source_sql(stream_schema, stream_name, iam_role, region, stream_kind) %}
  {% do log('streamleap: ensuring stream source ' ~ stream_schema ~ '.' ~ stream_name, info=True) %}
  {% do run_query(sql) %}
{%- endmacro %}

{#- A SQL string literal holding value exactly. Quotes are doubled everywhere. Redshift's string
    literals also read the backslash as an escape character (its docs write a regular expression's
    backslash as two: "use two backslashes ('\\')" in a pattern,
    https://docs.aws.amazon.com/redshift/latest/dg/pattern-matching-conditions-posix.html), so there a
    backslash is doubled too; Postgres (standard_conforming_strings on, the default since 9.1) and
    DuckDB take it literally. A test of the target's type, not a dispatch: a model's SQL makes
    dozens of literals, and each dispatched call is two macro calls. -#}
{% macro _string_literal(value) -%}
  {%- if target.type == 'redshift' -%}
  '{{ value | string | replace("\\", "\\\\") | replace("'", "''") }}'
  {%- else -%}
  '{{ value | string | replace("'", "''") }}'
  {%- endif -%}
{%- endmacro %}
