{#-
  The SELECT of the staging (streaming) view: one row per Kinesis record, nothing filtered,
  nothing typed. The payload is parsed once into a JSON value; a record that is not valid JSON
  keeps its raw bytes in raw_data instead, so that it neither fails the refresh (JSON_PARSE on
  invalid JSON fails the whole refresh and blocks ingestion) nor vanishes.
  Incremental refresh allows no window functions, joins or subqueries outside FROM here.
-#}
{% macro staging_select(stream_schema, stream_name) -%}
  {{ return(adapter.dispatch('staging_select', 'streamleap')(stream_schema, stream_name)) }}
{%- endmacro %}

{% macro redshift__staging_select(stream_schema, stream_name) -%}
select
  approximate_arrival_timestamp,
  partition_key,
  shard_id,
  sequence_number,
  refresh_time,
  case when can_json_parse(kinesis_data) then json_parse(kinesis_data) end as payload,
  case when not can_json_parse(kinesis_data) or kinesis_data is null then kinesis_data end as raw_data
from {{ streamleap.stream_relation(stream_schema, stream_name) }}
{%- endmacro %}

{% macro duckdb__staging_select(stream_schema, stream_name) -%}
select
  approximate_arrival_timestamp,
  partition_key,
  shard_id,
  sequence_number,
  refresh_time,
  case when json_valid(try(decode(kinesis_data))) then cast(decode(kinesis_data) as json) end as payload,
  case when json_valid(try(decode(kinesis_data))) is not true then kinesis_data end as raw_data
from {{ streamleap.stream_relation(stream_schema, stream_name) }}
{%- endmacro %}

{% macro postgres__staging_select(stream_schema, stream_name) -%}
select
  approximate_arrival_timestamp,
  partition_key,
  shard_id,
  sequence_number,
  refresh_time,
  payload,
  case when payload is null then kinesis_data end as raw_data
from (
  select s.*, {{ adapter.quote(stream_schema) }}.streamleap_try_jsonb(s.kinesis_data) as payload
  from {{ streamleap.stream_relation(stream_schema, stream_name) }} s
) records
{%- endmacro %}
