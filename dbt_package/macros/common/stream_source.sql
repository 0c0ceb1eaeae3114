{#-
  The relation streaming ingestion reads from (stream/stream_source.sql), one operation each: the
  dispatcher and the local stand-in (DuckDB, Postgres: schema S with one table per stream holding
  Redshift's stream columns). Redshift's external schema FROM KINESIS is in
  plugins/redshift/stream_source.sql; the Postgres stand-in's index and functions in
  plugins/postgres/stream_source.sql.
-#}
{% macro create_stream_source_sql(stream_schema, stream_name, iam_role='default', region=none) -%}
  {{ return(adapter.dispatch('create_stream_source_sql', 'streamleap')(stream_schema, stream_name, iam_role, region)) }}
{%- endmacro %}

{% macro default__create_stream_source_sql(stream_schema, stream_name, iam_role, region) -%}
  {%- set rel = streamleap.stream_relation(stream_schema, stream_name) -%}
  create schema if not exists {{ adapter.quote(stream_schema) }};
  create table if not exists {{ rel }} (
    approximate_arrival_timestamp timestamp,
    partition_key varchar(256),
    shard_id varchar(20),
    sequence_number varchar(128),
    refresh_time timestamp,
    kinesis_data {{ streamleap._bytes_type() }}
  )
  {{- streamleap._local_stream_functions(stream_schema, stream_name) }}
{%- endmacro %}

{% macro _bytes_type() -%}{{ return(adapter.dispatch('_bytes_type', 'streamleap')()) }}{%- endmacro %}

{% macro default___bytes_type() -%}bytea{%- endmacro %}

{#- Postgres has no TRY_CAST: safe parsers live beside the stand-in. -#}
{% macro _local_stream_functions(stream_schema, stream_name) -%}{{ return(adapter.dispatch('_local_stream_functions', 'streamleap')(stream_schema, stream_name)) }}{%- endmacro %}

{% macro default___local_stream_functions(stream_schema, stream_name) -%}{%- endmacro %}
