{#-
  The relation streaming ingestion reads from (stream/stream_source.sql), one operation each: the
  dispatcher and the local stand-in (DuckDB, Postgres: schema S with one table per stream holding
  Redshift's stream columns). Redshift's external schema FROM KINESIS is in
  plugins/redshift/stream_source.sql; the Postgres stand-in's index and functions in
  plugins/postgres/stream_source.sql.
-#}
{#- stream_kind: 'kinesis' (a Kinesis stream) or 'kafka' (a Kafka topic: Amazon MSK, Confluent,
    Apache Kafka); kafka: the external schema's Kafka settings on Redshift (streaming_mv_config). -#}
{% macro create_stream_source_sql(stream_schema, stream_name, iam_role='default', region=none, stream_kind='kinesis', kafka=none) -%}
  {{ return(adapter.dispatch('create_stream_source_sql', 'streamleap')(stream_schema, stream_name, iam_role, region, stream_kind, kafka or {})) }}
{%- endmacro %}

{#- The local stand-in: the columns of Redshift's streaming view source, a Kinesis stream's or a
    Kafka topic's (the Kafka relay, streamleap/pipeline/kafka_relay.py, appends to the latter). -#}
{% macro default__create_stream_source_sql(stream_schema, stream_name, iam_role, region, stream_kind='kinesis', kafka={}) -%}
  {%- set rel = streamleap.stream_relation(stream_schema, stream_name) -%}
  create schema if not exists {{ adapter.quote(stream_schema) }};
  {%- if stream_kind == 'kafka' %}
  create table if not exists {{ rel }} (
    kafka_partition bigint,
    kafka_offset bigint,
    kafka_timestamp_type char(1),
    kafka_timestamp timestamp,
    kafka_key {{ streamleap._bytes_type() }},
    kafka_value {{ streamleap._bytes_type() }},
    kafka_headers {{ streamleap._text_type() }},
    refresh_time timestamp
  )
  {%- else %}
  create table if not exists {{ rel }} (
    approximate_arrival_timestamp timestamp,
    partition_key varchar(256),
    shard_id varchar(20),
    sequence_number varchar(128),
    refresh_time timestamp,
    kinesis_data {{ streamleap._bytes_type() }}
  )
  {%- endif %}
  {{- streamleap._local_stream_functions(stream_schema, stream_name) }}
{%- endmacro %}

{% macro _text_type() -%}{{ return(adapter.dispatch('_text_type', 'streamleap')()) }}{%- endmacro %}
{% macro default___text_type() -%}text{%- endmacro %}
{% macro duckdb___text_type() -%}varchar{%- endmacro %}

{% macro _bytes_type() -%}{{ return(adapter.dispatch('_bytes_type', 'streamleap')()) }}{%- endmacro %}

{% macro default___bytes_type() -%}bytea{%- endmacro %}

{#- Postgres has no TRY_CAST: safe parsers live beside the stand-in. -#}
{% macro _local_stream_functions(stream_schema, stream_name) -%}{{ return(adapter.dispatch('_local_stream_functions', 'streamleap')(stream_schema, stream_name)) }}{%- endmacro %}

{% macro default___local_stream_functions(stream_schema, stream_name) -%}{%- endmacro %}
