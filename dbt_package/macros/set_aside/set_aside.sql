{#-
  The set-aside model of a stream: every record that cannot be applied, with its raw bytes,
  the reason and its stream position, queryable like any table. Records that are not JSON, that
  carry no DMS metadata, or that belong to a mirrored table but cannot be applied to it (unknown
  operation, missing key, a value that does not fit its column) land here; the mirrors skip
  them. Records of tables that are not mirrored, and control records, are neither.

  Usage:
    {{ config(materialized='incremental', incremental_strategy='streamleap_cdc',
              streamleap_set_aside={'stream_model': 'shop_cdc'},
              post_hook="{{ streamleap.set_aside_after_build(ref('shop_cdc')) }}") }}
    {{ streamleap.set_aside_select(ref('shop_cdc')) }}
  The mirrored tables are found in the project: every model with a streamleap_table config
  that refs the same staging model.
-#}
{% macro set_aside_select(staging) -%}
  {%- if not execute -%}{{ return('select 1 as parsing_only') }}{%- endif -%}
  {%- if is_incremental() -%}
{{ streamleap.set_aside_batch_sql(staging, this) }}
  {%- else -%}
select * from (
{{ streamleap.set_aside_batch_sql(staging, none) }}
) initial_build where 1 = 0 /* streamleap:initial-build */
  {%- endif -%}
{%- endmacro %}

{#- Specs of the mirrors that read from the staging model named stream_model. -#}
{% macro mirrors_of(stream_model) -%}
  {%- set specs = [] -%}
  {%- set staging_ids = [] -%}
  {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.name == stream_model -%}
    {%- do staging_ids.append(node.unique_id) -%}
  {%- endfor -%}
  {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.config.get('streamleap_table') -%}
    {%- if node.depends_on.nodes | select('in', staging_ids) | list -%}
      {%- do specs.append(streamleap.mirror_spec(node.config.get('streamleap_table'), node.config.get('unique_key'), node.name)) -%}
    {%- endif -%}
  {%- endfor -%}
  {{ return(specs) }}
{%- endmacro %}

{% macro payload_bytes(payload) -%}{{ return(adapter.dispatch('payload_bytes', 'streamleap')(payload)) }}{%- endmacro %}
{% macro duckdb__payload_bytes(payload) -%}encode(cast({{ payload }} as varchar)){%- endmacro %}
{% macro postgres__payload_bytes(payload) -%}convert_to(cast({{ payload }} as text), 'UTF8'){%- endmacro %}
{% macro redshift__payload_bytes(payload) -%}json_serialize_to_varbyte({{ payload }}){%- endmacro %}

{% macro set_aside_batch_sql(staging, relation, specs=none) -%}
{%- if specs is none -%}
  {%- set specs = streamleap.mirrors_of((config.get('streamleap_set_aside') or {}).get('stream_model')) -%}
{%- endif -%}
{#- every value any mirror checks, read once per record (positional aliases) -#}
{%- set fields = [] -%}
{%- set per_spec = [] -%}
{%- for key, alias in [('schema-name', 'schema_name'), ('table-name', 'table_name'), ('operation', 'operation'), ('record-type', 'record_type'),
                       ('commit-timestamp', '_sl_commit_text'), ('timestamp', '_sl_ts_text')] -%}
  {%- do fields.append((['metadata', key], alias)) -%}
{%- endfor -%}
{%- for spec in specs -%}
  {%- set texts = {} -%}
  {%- for (section, name), _ in streamleap._texts(spec).items() -%}
    {%- set alias = '_sl_s' ~ loop.index ~ '_' ~ (fields | length) -%}
    {%- do fields.append(([section, name], alias)) -%}
    {%- do texts.update({(section, name): alias}) -%}
  {%- endfor -%}
  {%- do per_spec.append((spec, texts)) -%}
{%- endfor -%}
{%- set reader = streamleap.json_reader('payload', fields | map(attribute=0) | list) -%}
with new_rows as {{ streamleap.materialized_cte() }}(
  select refresh_time, shard_id, sequence_number, partition_key, payload, raw_data
  from {{ staging }}
  where refresh_time > {{ streamleap.watermark_sql(relation) }}
),
records as (
  select
    refresh_time, shard_id, sequence_number, partition_key, payload, raw_data
    {%- for (keys, alias), expr in zip(fields, reader['values']) %},
    {{ expr }} as {{ alias }}
    {%- endfor %}
  from (select new_rows.*{% if reader['once'] %}, {{ reader['once'] }} as _sl_values{% endif %} from new_rows) parsed
),
judged as (
  select records.*,
    case
      when payload is null then 'not valid JSON'
      when record_type is null then 'no DMS metadata (metadata.record-type is missing)'
      {%- for spec, texts in per_spec %}
      when record_type = 'data' and {{ streamleap.source_table_filter(spec, 'table_name', 'schema_name') }}
        then {{ streamleap.record_problem(spec, 'operation', streamleap._with_times(texts, '_sl_commit_text', '_sl_ts_text')) }}
      {%- endfor %}
    end as reason,
    max(refresh_time) over () as _streamleap_synced_at
  from records
)
select
  refresh_time,
  cast(shard_id as varchar(20)) as shard_id,
  cast(sequence_number as varchar(128)) as sequence_number,
  cast(partition_key as varchar(256)) as partition_key,
  cast(schema_name as varchar(256)) as schema_name,
  cast(table_name as varchar(256)) as table_name,
  cast(operation as varchar(64)) as operation,
  cast(reason as varchar(1024)) as reason,
  coalesce(raw_data, {{ streamleap.payload_bytes('payload') }}) as raw_data,
  _streamleap_synced_at
from judged
where reason is not null
union all
select
  cast(null as timestamp), cast(null as varchar(20)), cast(null as varchar(128)), cast(null as varchar(256)),
  cast(null as varchar(256)), cast(null as varchar(256)), cast(null as varchar(64)), cast(null as varchar(1024)),
  cast(null as {{ streamleap._bytes_type() }}), max(_streamleap_synced_at)
from judged
having count(*) > 0
{%- endmacro %}

{#- Append the batch's set-aside records and move the watermark, in the running transaction. -#}
{% macro apply_set_aside_sql(target, batch) -%}
{%- set cols = ['refresh_time', 'shard_id', 'sequence_number', 'partition_key', 'schema_name', 'table_name', 'operation', 'reason', 'raw_data', '_streamleap_synced_at'] -%}
{{ streamleap.advance_watermark_sql(target, batch) }};
{{ streamleap.record_applied_sql(target, batch, 'reason is not null') }};
insert into {{ target }} ({{ cols | join(', ') }})
select {{ cols | join(', ') }} from {{ batch }} where reason is not null
{%- endmacro %}

{% macro set_aside_after_build(staging) -%}
  {%- if not execute or '/* streamleap:initial-build */' not in (model.compiled_code or '') -%}
    {{ return('') }}
  {%- endif -%}
  {%- set batch = make_temp_relation(this, '__streamleap_initial') -%}
{{ streamleap.initial_build_sql(this, batch, streamleap.set_aside_batch_sql(staging, none), streamleap.apply_set_aside_sql(this, batch)) }}
{%- endmacro %}
