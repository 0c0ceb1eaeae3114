{#-
  The relation streaming ingestion reads from.

  Redshift: an external schema FROM KINESIS; each stream is the relation schema."stream_name"
  with the GA columns (approximate_arrival_timestamp, partition_key, shard_id, sequence_number,
  refresh_time, kinesis_data). https://docs.aws.amazon.com/redshift/latest/dg/materialized-view-streaming-ingestion-getting-started.html

  DuckDB / Postgres: a local stand-in, schema S with one table per stream holding exactly those
  columns. Anything that appends rows there with a refresh_time behaves like a Redshift REFRESH.
-#}

{% macro stream_relation(stream_schema, stream_name) -%}
  {{ return(api.Relation.create(database=target.database, schema=stream_schema, identifier=stream_name, type='table')) }}
{%- endmacro %}

{#- dbt run-operation streamleap.create_stream_source --args '{stream_schema: kinesis, stream_name: shop_cdc}' -#}
{% macro create_stream_source(stream_schema, stream_name, iam_role='default', region=none) -%}
  {% set sql = streamleap.create_stream_source_sql(stream_schema, stream_name, iam_role, region) %}
  {% do log('streamleap: ensuring stream source ' ~ stream_schema ~ '.' ~ stream_name, info=True) %}
  {% do run_query(sql) %}
{%- endmacro %}

{% macro create_stream_source_sql(stream_schema, stream_name, iam_role='default', region=none) -%}
  {{ return(adapter.dispatch('create_stream_source_sql', 'streamleap')(stream_schema, stream_name, iam_role, region)) }}
{%- endmacro %}

{% macro redshift__create_stream_source_sql(stream_schema, stream_name, iam_role, region) -%}
  {#- IAM_ROLE default uses the role associated with the namespace / cluster. -#}
  create external schema if not exists {{ adapter.quote(stream_schema) }}
  from kinesis
  {%- if region %} region {{ streamleap._string_literal(region) }}{% endif %}
  iam_role {{ 'default' if (iam_role or 'default') == 'default' else streamleap._string_literal(iam_role) }}
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
{% macro duckdb___bytes_type() -%}blob{%- endmacro %}
{#- dbt-redshift falls back to postgres__/default__: BYTEA is on Redshift's list of unsupported
    PostgreSQL types ("if a query attempts to use an unsupported data type, including explicit or
    implicit casts, it will return an error"). Its binary type is VARBYTE (up to 16,777,216 bytes;
    VARBYTE alone is VARBYTE(64000), so the size is given).
    https://docs.aws.amazon.com/redshift/latest/dg/c_unsupported-postgresql-datatypes.html
    https://docs.aws.amazon.com/redshift/latest/dg/r_VARBYTE_type.html -#}
{% macro redshift___bytes_type() -%}varbyte(16777216){%- endmacro %}

{#- Postgres has no TRY_CAST: safe parsers live beside the stand-in. -#}
{% macro _local_stream_functions(stream_schema, stream_name) -%}{{ return(adapter.dispatch('_local_stream_functions', 'streamleap')(stream_schema, stream_name)) }}{%- endmacro %}
{% macro default___local_stream_functions(stream_schema, stream_name) -%}{%- endmacro %}
{% macro postgres___local_stream_functions(stream_schema, stream_name) -%};
  {#- every consumer reads refresh_time > its watermark: an index keeps that to the new rows
      (DuckDB's zone maps do the same for an append-only table) -#}
  create index if not exists {{ streamleap.quote_ident(stream_name ~ '_refresh_time') }}
    on {{ streamleap.stream_relation(stream_schema, stream_name) }} (refresh_time);
  create or replace function {{ adapter.quote(stream_schema) }}.streamleap_try_jsonb(raw bytea) returns jsonb
  language plpgsql immutable as $fn$
  begin
    return convert_from(raw, 'UTF8')::jsonb;
  exception when others then
    return null;
  end $fn$;
  create or replace function {{ adapter.quote(stream_schema) }}.streamleap_is_json(t text) returns boolean
  language plpgsql immutable as $fn$
  begin
    perform t::jsonb;
    return true;
  exception when others then
    return false;
  end $fn$
{%- endmacro %}

{#- A SQL string literal holding value exactly. Quotes are doubled everywhere. Redshift's string
    literals also read the backslash as an escape character (its docs write a regular expression's
    backslash as two: "use two backslashes ('\\')" in a pattern,
    https://docs.aws.amazon.com/redshift/latest/dg/pattern-matching-conditions-posix.html), so there a
    backslash is doubled too; Postgres (standard_conforming_strings on, the default since 9.1) and
    DuckDB take it literally. -#}
{% macro _string_literal(value) -%}
  {{- adapter.dispatch('_string_literal', 'streamleap')(value) -}}
{%- endmacro %}
{% macro default___string_literal(value) -%}
  '{{ value | string | replace("'", "''") }}'
{%- endmacro %}
{% macro redshift___string_literal(value) -%}
  '{{ value | string | replace("\\", "\\\\") | replace("'", "''") }}'
{%- endmacro %}
