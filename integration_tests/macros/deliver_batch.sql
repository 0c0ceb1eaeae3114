{#-
  dbt run-operation deliver_batch --args '{n: 1}'

  Plays the part of Kinesis (and of a Redshift REFRESH): appends the records of batch n of
  seeds/stream_records.csv to the local stand-in stream, in the seed's order, all with one
  refresh_time (now). Each record gets the sequence number '4960' followed by its record_no in
  52 digits (so the same order by length-then-text as by record_no), and its JSON text as bytes.
  Creates the stand-in first when it is missing. Local targets only (DuckDB, Postgres): on
  Redshift the stream is a real Kinesis stream.
-#}
{% macro deliver_batch(n) %}
  {%- set schema = stream_schema() -%}
  {%- set stream = streamleap.stream_relation(schema, 'shop_cdc') -%}
  {%- set records = ref('stream_records') -%}
  {%- if load_relation(records) is none -%}
    {{ exceptions.raise_compiler_error("deliver_batch: seed " ~ records ~ " is missing; run `dbt seed` first") }}
  {%- endif -%}
  {% do run_query(streamleap.create_stream_source_sql(schema, 'shop_cdc')) %}
  {% call statement('deliver_batch', auto_begin=true) %}
    insert into {{ stream }}
      (approximate_arrival_timestamp, partition_key, shard_id, sequence_number, refresh_time, kinesis_data)
    select
      now_ts, 'public.shop', 'shardId-000000000000',
      '4960' || lpad(cast(record_no as varchar(20)), 52, '0'),
      now_ts, {{ text_to_bytes('kinesis_data') }}
    from {{ records }}
    cross join (select cast({{ dbt.current_timestamp() }} as timestamp) as now_ts) refresh
    where batch = {{ n | int }}
    order by record_no
  {% endcall %}
  {#- a run-operation commits nothing by itself -#}
  {% do adapter.commit() %}
  {% set count = run_query("select count(*) from " ~ records ~ " where batch = " ~ (n | int)) %}
  {% do log("deliver_batch: appended " ~ count.columns[0].values()[0] ~ " records of batch " ~ (n | int) ~ " to " ~ stream, info=True) %}
{% endmacro %}

{#- The UTF-8 bytes of a text: the stand-in's kinesis_data column holds bytes. -#}
{% macro text_to_bytes(text) -%}
  {{ return(adapter.dispatch('text_to_bytes', 'streamleap_integration_tests')(text)) }}
{%- endmacro %}
{% macro default__text_to_bytes(text) -%}convert_to({{ text }}, 'UTF8'){%- endmacro %}
{% macro duckdb__text_to_bytes(text) -%}encode({{ text }}){%- endmacro %}
