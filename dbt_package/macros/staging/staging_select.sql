{#-
  The SELECT of the staging (streaming) view: one row per Kinesis record, nothing filtered,
  nothing typed. The payload is parsed once into a JSON value; a record that is not valid JSON
  keeps its raw bytes in raw_data instead, so that it neither fails the refresh (JSON_PARSE on
  invalid JSON fails the whole refresh and blocks ingestion) nor vanishes.
  Incremental refresh allows no window functions, joins or subqueries outside FROM here.
-#}
{#- stream_kind 'kafka': a Kafka topic's columns (kafka_partition, kafka_offset, kafka_timestamp,
    kafka_key, kafka_value, ...) under the names a Kinesis stream's have, so that everything that reads
    the view is the same for both: shard_id is the partition, sequence_number the offset as text
    (compared as a number: by length, then text), partition_key the record's key as lower-case hex
    (a key need not be text: Avro or bytes; hex never fails a refresh and reads the same on every
    target), approximate_arrival_timestamp its Kafka timestamp. -#}
{% macro staging_select(stream_schema, stream_name, stream_kind='kinesis') -%}
  {{ return(adapter.dispatch('staging_select', 'streamleap')(stream_schema, stream_name, stream_kind)) }}
{%- endmacro %}

{#- Redshift (docs/decisions/0012): raw_data keeps every record's bytes, not only the invalid
    ones. The set-aside model keeps the original bytes without re-serializing SUPER (whose text can
    exceed VARCHAR, https://docs.aws.amazon.com/redshift/latest/dg/JSON_SERIALIZE.html), numbers
    SUPER may not hold exactly are read as written (json_access.sql), and a record JSON_PARSE
    refuses (a string over 65,535 bytes without enable_large_strings_opt_in,
    https://docs.aws.amazon.com/redshift/latest/dg/r_enable_large_strings_opt_in.html) keeps its
    bytes. So each record is validated once and parsed once (it was validated twice): JSON_PARSE of
    a record that is not JSON fails the refresh, so CAN_JSON_PARSE has to come first.
    https://docs.aws.amazon.com/redshift/latest/dg/JSON_PARSE.html -#}
{% macro redshift__staging_select(stream_schema, stream_name, stream_kind='kinesis') -%}
{%- if stream_kind == 'kafka' -%}
select
  kafka_timestamp as approximate_arrival_timestamp,
  lower(from_varbyte(kafka_key, 'hex')) as partition_key,
  cast(kafka_partition as varchar(20)) as shard_id,
  cast(kafka_offset as varchar(128)) as sequence_number,
  refresh_time,
  case when can_json_parse(kafka_value) then json_parse(kafka_value) end as payload,
  kafka_value as raw_data
from {{ streamleap.stream_relation(stream_schema, stream_name) }}
{%- else -%}
select
  approximate_arrival_timestamp,
  partition_key,
  shard_id,
  sequence_number,
  refresh_time,
  case when can_json_parse(kinesis_data) then json_parse(kinesis_data) end as payload,
  kinesis_data as raw_data
from {{ streamleap.stream_relation(stream_schema, stream_name) }}
{%- endif %}
{%- endmacro %}

{#- DuckDB's reader takes more than Redshift's JSON_PARSE (NaN and Infinity literals, deeper
    nesting; duckdb__json_rule, json_access.sql): the view refuses what Redshift's would, so a
    record has a payload here exactly when it has one on Redshift, and the rule is checked once,
    where the record is parsed, not by each model that reads it. -#}
{% macro duckdb__staging_select(stream_schema, stream_name, stream_kind='kinesis') -%}
{%- set kafka = stream_kind == 'kafka' -%}
select
  approximate_arrival_timestamp,
  partition_key,
  shard_id,
  sequence_number,
  refresh_time,
  case when _sl_json then cast(_sl_text as json) end as payload,
  case when _sl_json is not true then _sl_bytes end as raw_data
from (
  select records.*, json_valid(_sl_text) and {{ streamleap.duckdb__json_rule('_sl_text') }} as _sl_json
  from (
    {%- if kafka %}
    select s.kafka_timestamp as approximate_arrival_timestamp, lower(hex(s.kafka_key)) as partition_key,
      cast(s.kafka_partition as varchar) as shard_id, cast(s.kafka_offset as varchar) as sequence_number, s.refresh_time,
      s.kafka_value as _sl_bytes, try(decode(s.kafka_value)) as _sl_text
    {%- else %}
    select s.approximate_arrival_timestamp, s.partition_key, s.shard_id, s.sequence_number, s.refresh_time,
      s.kinesis_data as _sl_bytes, try(decode(s.kinesis_data)) as _sl_text
    {%- endif %}
    from {{ streamleap.stream_relation(stream_schema, stream_name) }} s) records
) parsed
{%- endmacro %}

{% macro postgres__staging_select(stream_schema, stream_name, stream_kind='kinesis') -%}
select
  approximate_arrival_timestamp,
  partition_key,
  shard_id,
  sequence_number,
  refresh_time,
  payload,
  case when payload is null then _sl_bytes end as raw_data
from (
  {%- if stream_kind == 'kafka' %}
  select s.kafka_timestamp as approximate_arrival_timestamp, encode(s.kafka_key, 'hex') as partition_key,
    cast(s.kafka_partition as varchar(20)) as shard_id, cast(s.kafka_offset as varchar(128)) as sequence_number,
    s.refresh_time, s.kafka_value as _sl_bytes,
    {{ adapter.quote(stream_schema) }}.streamleap_try_jsonb(s.kafka_value) as payload
  {%- else %}
  select s.approximate_arrival_timestamp, s.partition_key, s.shard_id, s.sequence_number, s.refresh_time,
    s.kinesis_data as _sl_bytes, {{ adapter.quote(stream_schema) }}.streamleap_try_jsonb(s.kinesis_data) as payload
  {%- endif %}
  from {{ streamleap.stream_relation(stream_schema, stream_name) }} s
) records
{%- endmacro %}
