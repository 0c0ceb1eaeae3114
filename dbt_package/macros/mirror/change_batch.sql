{#-
  The mirror model's body: the batch of changes for one source table, one row per key, the
  latest change by source commit order, read from the staging view past the stored watermark.

  Order key `_streamleap_order` (a string of digits, compared as text):
    phase (0 = DMS full-load record, 1 = change, or a `streamleap resync` load record, which has a
    commit-timestamp: its snapshot's time) | commit-timestamp as 20 digits (UTC,
    microseconds; zeros when absent) | transaction-record-id, 20 digits | length of the Kinesis
    sequence number, 3 digits | the sequence number. So load records come before changes,
    changes follow commit order, and the sequence number (compared by length, then text) is
    only the last tie-break.
  A primary-key update (`update` whose before-image holds another key) also yields a delete of
  the old key. A row `_streamleap_op = 'watermark'` carries the batch end when the batch read
  anything, so that a batch of rows set aside or of control records is not re-read.

  Usage in a model (columns and key in its yml: streamleap_table={...table spec...}, unique_key):
    {{ config(materialized='streamleap_mirror') }}
    {{ streamleap.mirror_select(ref('stream_staging')) }}
  The model's SQL is the batch this run applies (run_mode): the changes past the watermark, or
  every change the stream retains on a first build and on a backfill.
-#}

{% macro mirror_select(staging) -%}
  {%- if not execute -%}{{ return('select 1 as parsing_only') }}{%- endif -%}
  {%- set run = streamleap.run_mode() -%}
  {%- if run.mode == 'nothing_new' -%}
select 1 as nothing_new where 1 = 0
  {%- elif run.mode == 'apply' -%}
{{ streamleap.change_batch_sql(staging, streamleap.mirror_spec(), this) }}
  {%- elif run.mode == 'backfill' -%}
{{ streamleap.change_batch_sql(staging, streamleap.mirror_spec(), none) }}
  {%- else -%}
{{ streamleap.first_build_select(streamleap.change_batch_sql(staging, streamleap.mirror_spec(), none)) }}
  {%- endif -%}
{%- endmacro %}

{#- The table spec from a mirror model's config (this model's when not given), checked. mode: the
    model's streamleap_mode (mirror_modes): what a delete does to its row. -#}
{% macro mirror_spec(table_config=none, unique_key=none, model_name=none, mode=none, history_names=none) -%}
  {%- set spec = table_config if table_config is not none else config.get('streamleap_table') -%}
  {%- set key = unique_key if table_config is not none else config.get('unique_key') -%}
  {%- set mode = (mode if table_config is not none else config.get('streamleap_mode')) or 'mirror' -%}
  {%- set history_names = history_names if table_config is not none else config.get('snapshot_meta_column_names') -%}
  {%- set name = model_name or this -%}
  {%- if mode not in streamleap.mirror_modes() -%}
    {{ exceptions.raise_compiler_error("model " ~ name ~ ": streamleap_mode " ~ mode ~ " is not one of " ~ streamleap.mirror_modes() | join(', ')) }}
  {%- endif -%}
  {%- if not spec or not spec.get('columns') or not spec.get('table') -%}
    {{ exceptions.raise_compiler_error("model " ~ name ~ ": config streamleap_table={table: ..., schema: ..., columns: [...]} is missing; streamleap generate writes it") }}
  {%- endif -%}
  {#- a spec without a schema would take the records of every schema with that table name -#}
  {%- if not spec.get('schema') -%}
    {{ exceptions.raise_compiler_error("model " ~ name ~ ": config streamleap_table has no schema, so it would take the records of every source schema; run streamleap generate again (with --source-schema for a MySQL file without USE), or add schema: to its streamleap_table") }}
  {%- endif -%}
  {%- set key = [key] if key is string else (key or []) -%}
  {%- if not key -%}
    {{ exceptions.raise_compiler_error("model " ~ name ~ ": unique_key (the source primary key) is required for a mirror") }}
  {%- endif -%}
  {%- set names = spec.columns | map(attribute='name') | list -%}
  {%- for k in key if k not in names -%}
    {{ exceptions.raise_compiler_error("model " ~ name ~ ": unique_key column " ~ k ~ " is not among the streamleap_table columns") }}
  {%- endfor -%}
  {%- set key_columns = [] -%}
  {%- for k in key %}{% for c in spec.columns if c.name == k %}{% do key_columns.append(c) %}{% endfor %}{% endfor -%}
  {{ return({
    'schema': spec.get('schema'), 'table': spec.table, 'columns': spec.columns, 'key': key_columns,
    'stream_schema': spec.get('stream_schema', 'kinesis'),
    'before_image': spec.get('before_image_field', 'before-image'),
    'partitions': spec.get('partitions') or [],
    'format': streamleap._checked_format(spec.get('format'), name),
    'mode': mode,
    'history': streamleap.history_column_names(history_names, names if mode == 'history' else [], name),
  }) }}
{%- endmacro %}

{#- A record format (record_format.sql) as a model's config gives it, checked. -#}
{% macro _checked_format(fmt, name) -%}
  {%- set fmt = fmt or {'name': 'dms'} -%}
  {%- if fmt is string %}{% set fmt = {'name': fmt} %}{% endif -%}
  {%- if fmt.get('name') not in streamleap.record_formats() -%}
    {{ exceptions.raise_compiler_error("model " ~ name ~ ": record format " ~ fmt.get('name') ~ " is not one of " ~ streamleap.record_formats() | join(', ')) }}
  {%- endif -%}
  {{ return(fmt) }}
{%- endmacro %}

{#- A mirror model's modes (config streamleap_mode): 'mirror', a Type-1 table (a delete removes the
    row; its key's tombstone keeps a late re-delivery out); 'soft_delete', a delete keeps the row,
    flagged (_streamleap_deleted, _streamleap_deleted_at: the delete's source commit time), with
    the values it last had; a later insert of the key revives it. The flagged row keeps a late
    re-delivery out, as a tombstone does. -#}
{#- 'history': one row per version of a key (history.sql). -#}
{% macro mirror_modes() -%}{{ return(['mirror', 'soft_delete', 'history']) }}{%- endmacro %}

{#- The spec of a mirror model's node (its config), as mirror_spec reads this model's. -#}
{% macro node_mirror_spec(node) -%}
  {{ return(streamleap.mirror_spec(node.config.get('streamleap_table'), node.config.get('unique_key'), node.name, node.config.get('streamleap_mode'),
                                   node.config.get('snapshot_meta_column_names'))) }}
{%- endmacro %}

{#- SQL true for a record of the spec's table: under its own (schema, name) or, as DMS writes a
    partitioned Postgres table's changes, under one of its partitions' names. The names of one
    schema are compared with one IN list. A spec without a schema matches on the name alone.
    One condition is a plain AND; several are one parenthesised OR. -#}
{% macro source_table_filter(spec, table_column, schema_column, joiner=' and ') -%}
  {%- set names = [(spec.schema, spec.table)] -%}
  {%- for p in spec.partitions %}{% do names.append((p.get('schema') or spec.schema, p.table)) %}{% endfor -%}
  {%- set schemas = [] -%}
  {%- set tables = {} -%}
  {%- for schema, table in names -%}
    {%- set s = schema or '' -%}
    {%- if s not in schemas %}{% do schemas.append(s) %}{% do tables.update({s: []}) %}{% endif -%}
    {%- if table not in tables[s] %}{% do tables[s].append(table) %}{% endif -%}
  {%- endfor -%}
  {%- set parts = [] -%}
  {%- for s in schemas -%}
    {%- set literals = [] -%}
    {%- for t in tables[s] %}{% do literals.append(streamleap._string_literal(t)) %}{% endfor -%}
    {#- always both: mirror_spec refuses a spec without a schema -#}
    {%- set match = table_column ~ (' = ' ~ literals[0] if literals | length == 1 else ' in (' ~ literals | join(', ') ~ ')')
        ~ joiner ~ schema_column ~ ' = ' ~ streamleap._string_literal(s) -%}
    {%- do parts.append(match) -%}
  {%- endfor -%}
  {%- if parts | length == 1 -%}
    {{ parts[0] }}
  {%- else -%}
    (({{ parts | map('string') | list | join(') or (') }}))
  {%- endif -%}
{%- endmacro %}

{#- Where the last applied batch ended, as SQL: the stored watermark, or the beginning. -#}
{% macro watermark_sql(relation) -%}
  {%- set epoch = "cast('1900-01-01 00:00:00' as timestamp)" -%}
  {%- if relation is none or not execute or load_relation(streamleap.state_relation(relation)) is none -%}
    {{- return(epoch) -}}
  {%- endif -%}
  {{- return(streamleap.watermark_lookup_sql(relation)) -}}
{%- endmacro %}

{% macro watermark_lookup_sql(relation) -%}
  coalesce((select max(watermark) from {{ streamleap.state_relation(relation) }} where relation_name = {{ streamleap._string_literal(streamleap._relation_key(relation)) }}), cast('1900-01-01 00:00:00' as timestamp))
{%- endmacro %}

{#- Source commit time as 20 digits (YYYYMMDDHHMMSSffffff), from DMS's ISO-8601 text that passed
    record_problem's check (date, 'T' or ' ', clock HH:MM:SS with at most 6 fractional digits,
    optional zone): the digits at their fixed places, then the fraction (cut at the zone's Z, + or
    -; TRANSLATE maps each of them to '.': https://docs.aws.amazon.com/redshift/latest/dg/r_TRANSLATE.html),
    padded with zeros. Plain string functions: a regular expression per record cost more than
    the rest of the order key. On a text that did not pass the check the digits are meaningless
    (never used) but cannot fail. -#}
{% macro _ts_digits(text) -%}
  {%- set t = text -%}
  rpad(substr({{ t }}, 1, 4) || substr({{ t }}, 6, 2) || substr({{ t }}, 9, 2) || substr({{ t }}, 12, 2) || substr({{ t }}, 15, 2) || substr({{ t }}, 18, 2)
       || case when substr({{ t }}, 20, 1) = '.' then split_part(translate(substr({{ t }}, 21, 13), 'Z+-', '...'), '.', 1) else '' end, 20, '0')
{%- endmacro %}

{% macro _digits_to_timestamp(d) -%}
  cast(substr({{ d }}, 1, 4) || '-' || substr({{ d }}, 5, 2) || '-' || substr({{ d }}, 7, 2) || ' ' || substr({{ d }}, 9, 2) || ':' || substr({{ d }}, 11, 2) || ':' || substr({{ d }}, 13, 2) || '.' || substr({{ d }}, 15, 6) as timestamp)
{%- endmacro %}

{% macro _meta(field) -%}{{ streamleap.json_text('payload', ['metadata', field]) }}{%- endmacro %}

{#- Column names of the texts read once per record: the value of source column i and of key
    column i in the before-image. Positional, so no source name can clash with them. -#}
{% macro _texts(spec) -%}
  {%- set texts = {} -%}
  {%- for c in spec.columns %}{% do texts.update({('data', c.name): '_sl_t' ~ loop.index}) %}{% endfor -%}
  {%- for c in spec.key %}{% do texts.update({(spec.before_image, c.name): '_sl_b' ~ loop.index}) %}{% endfor -%}
  {%- if streamleap.record_format(spec).name == 'debezium' %}{% do texts.update({('format', 'undecoded'): '_sl_undecoded'}) %}{% endif -%}
  {{ return(texts) }}
{%- endmacro %}

{#- texts with the record's metadata the checks read: its times and transaction-record-id. -#}
{% macro _with_times(texts, commit_text, ts_text, trid_text=none) -%}
  {%- set out = {} -%}
  {%- do out.update(texts) -%}
  {%- do out.update({('metadata', 'commit-timestamp'): commit_text, ('metadata', 'timestamp'): ts_text}) -%}
  {%- if trid_text %}{% do out.update({('metadata', 'transaction-record-id'): trid_text}) %}{% endif -%}
  {{ return(out) }}
{%- endmacro %}

{#- The values a record of the spec's table is read for, once: (keys, alias) per field, and the
    target's reader of them (json_reader). -#}
{#- finals: SQL over the fields giving the columns a record format's fields are read into
    (record_format.sql; none for DMS). is_delete: SQL true for a delete record, when the metadata
    is read elsewhere (a cycle's batch). -#}
{% macro _record_fields(spec, metadata=true, is_delete=none) -%}
{%- set fmt = streamleap.record_format(spec) -%}
{%- set values = streamleap.format_values(spec, is_delete or "_sl_d_op = 'd'") -%}
{%- set fields = [] -%}
{%- set finals = [] -%}
{%- do fields.extend(values.fields) -%}
{%- do finals.extend(values.finals) -%}
{%- if metadata -%}
  {%- set meta = streamleap.format_metadata(fmt) -%}
  {%- do fields.extend(meta.fields) -%}
  {%- do finals.extend(meta.finals) -%}
{%- endif -%}
{{ return({'fields': fields, 'finals': finals, 'reader': streamleap.json_reader('payload', fields | map(attribute=0) | list)}) }}
{%- endmacro %}

{#- The metadata a record is read for: (keys, alias). -#}
{% macro _metadata_fields() -%}
{%- set fields = [] -%}
{%- for key, alias in [('operation', '_sl_op'), ('record-type', '_sl_record_type'), ('commit-timestamp', '_sl_commit_text'),
                       ('timestamp', '_sl_ts_text'), ('transaction-record-id', '_sl_trid'), ('table-name', '_sl_table'),
                       ('schema-name', '_sl_schema')] -%}
  {%- do fields.append((['metadata', key], alias)) -%}
{%- endfor -%}
{{ return(fields) }}
{%- endmacro %}

{#- A `streamleap run` cycle's batch (cycle.sql): the stream's records past floor, each with its
    metadata read (_metadata_fields), and judged once for every table: _sl_metadata_problem (the
    metadata branches of record_problem), _sl_rule_ok (the JSON rule, payload_rule_check) and the
    commit time's digits (_sl_time_digits). -#}
{% macro cycle_batch_sql(staging, floor, stream_schema, fmt={'name': 'dms'}) -%}
{%- set meta = streamleap.format_metadata(fmt) -%}
{%- set fields = meta.fields -%}
{%- set reader = streamleap.json_reader('payload', fields | map(attribute=0) | list) -%}
{%- set rule = streamleap.payload_rule_check('payload') -%}
select records.*,
  {%- if streamleap.cycle_types_once() %}
  row_number() over () as _sl_rec,
  {%- endif %}
  {{ streamleap.metadata_problem('_sl_op', '_sl_commit_text', '_sl_ts_text', '_sl_trid', stream_schema, fmt) }} as _sl_metadata_problem,
  {{ rule if rule | trim else 'true' }} as _sl_rule_ok,
  {{ streamleap._ts_digits('coalesce(_sl_commit_text, _sl_ts_text)') }} as _sl_time_digits
{%- set each_record -%}
  select refresh_time, shard_id, sequence_number, partition_key, payload, raw_data
    {%- for (keys, alias), expr in zip(fields, reader['values']) %},
    {{ expr }} as {{ alias }}
    {%- endfor %}
  from (select refresh_time, shard_id, sequence_number, partition_key, payload, raw_data{% if reader['once'] %}, {{ reader['once'] }} as _sl_values{% endif %}
        from {{ staging }}
        where refresh_time > {{ floor }}{{ streamleap._parse_once_fence() }}) new_rows
{%- endset %}
from (
{{ streamleap.with_finals(each_record, meta.finals) }}
) records
{%- endmacro %}

{#- Postgres pulls a plain subquery up into the query around it, and with it the staging view's
    payload expression: every reference to payload parsed the record's JSON again (a cycle batch of
    100,000 records took 17 s; 2.7 s with the fence). OFFSET 0 keeps the subquery whole, so each
    record is parsed once. DuckDB evaluates the expression once; Redshift reads a stored SUPER. -#}
{% macro _parse_once_fence() -%}{{ return(adapter.dispatch('_parse_once_fence', 'streamleap')()) }}{%- endmacro %}
{% macro default___parse_once_fence() -%}{%- endmacro %}
{% macro postgres___parse_once_fence() -%}{{ ' offset 0' }}{%- endmacro %}
{#- dbt-redshift falls back to postgres__ macros -#}
{% macro redshift___parse_once_fence() -%}{%- endmacro %}

{#- checked: when given (staging is not read then), a relation that holds the records already read
    and judged (a `streamleap run` cycle's, cycle_checked_sql): the batch is made from its data
    records past relation's watermark without a problem, and has no watermark row (the cycle's
    finish moves the watermarks). -#}
{% macro change_batch_sql(staging, spec, relation, checked=none) -%}
{%- set q = streamleap.quote_ident -%}
{%- set ss = spec.stream_schema -%}
{%- set fmt = streamleap.record_format(spec) -%}
{%- set texts = streamleap._texts(spec) -%}
{%- set fitting = streamleap._fitting_aliases(spec) -%}
{%- if checked is not none -%}
with new_rows as (
  select * from {{ checked }}
  where refresh_time > {{ streamleap.watermark_lookup_sql(relation) }}
),
batch_end as (
  {# over every record read, of any kind: the watermark moves past all of them #}
  select max(refresh_time) as _sl_batch_end from new_rows
),
checked as (
  select new_rows.*, batch_end._sl_batch_end
  from new_rows cross join batch_end
  where _sl_record_type = 'data'
),
truncates as (
  {{ streamleap._truncates_select("(select new_rows.*, batch_end._sl_batch_end from new_rows cross join batch_end where _sl_record_type = 'control')", 'r._sl_problem', fmt) }}
),
{%- else -%}
{%- set read = streamleap._record_fields(spec) -%}
{%- set fields = read.fields -%}
{%- set reader = read.reader -%}
with new_rows as (
  {#- raw_data: the record's bytes, where Redshift reads numbers as written (json_access.sql) #}
  select refresh_time, sequence_number, {% if fmt.name == 'flat' %}partition_key, {% endif %}payload, raw_data
  from {{ staging }}
  where refresh_time > {{ streamleap.watermark_sql(relation) }}
),
batch_end as (
  {# over every record read, of any table: the watermark moves past all of them #}
  select max(refresh_time) as _sl_batch_end from new_rows
),
{%- set each_record -%}
  {# each record's values, read once #}
  select
    refresh_time,
    sequence_number,
    {%- if fmt.name == 'flat' %}
    partition_key,
    {%- endif %}
    payload
    {%- for (keys, alias), expr in zip(fields, reader['values']) %},
    {{ expr }} as {{ alias }}
    {%- endfor %}
  from (select new_rows.*{% if reader['once'] %}, {{ reader['once'] }} as _sl_values{% endif %} from new_rows) records
{%- endset %}
parsed as {{ streamleap._parsed_cte() }}(
{{ streamleap.with_finals(each_record, read.finals) }}
),
batch as (
  select parsed.*, batch_end._sl_batch_end
  from parsed cross join batch_end
  where {{ streamleap.source_table_filter(spec, '_sl_table', '_sl_schema', '\n    and ') }}
  {%- set rule = streamleap.payload_rule_check('payload') %}
  {%- if rule | trim %}
    and {{ rule }}
  {%- endif %}
),
{#- materialized where the target supports it: each record's checks and order digits are computed
    once, not once per reference of the columns below (an inlined CTE repeats its expressions) #}
truncates as (
  {{ streamleap._truncates_select("(select * from batch where _sl_record_type = 'control')",
                                  streamleap.control_problem('r._sl_op', 'r._sl_commit_text', 'r._sl_ts_text', 'r._sl_trid', ss, fmt), fmt) }}
),
typed as (
  {#- each value typed once: the checks and the changes below read it (_fitting_aliases) -#}
  select batch.*{{ streamleap._fitting_columns(spec, texts, fitting) }}
  from batch
  where _sl_record_type = 'data'{{ streamleap._parse_once_fence() }}
),
checked as {{ streamleap.materialized_cte() }}(
  select typed.*,
    {{ streamleap.record_problem(spec, '_sl_op', streamleap._with_times(texts, '_sl_commit_text', '_sl_ts_text', '_sl_trid'), fitting=fitting) }} as _sl_problem,
    {#- one digit string: the commit time's when there is one (the order key uses only that) #}
    {{ streamleap._ts_digits('coalesce(_sl_commit_text, _sl_ts_text)') }} as _sl_time_digits
  from typed
),
{%- endif %}
{#- the values typed once: a cycle's checked records hold them (cycle_checked_sql), here typed #}
changes as {{ streamleap.materialized_cte() }}(
  select
    {%- for c in spec.columns %}
    {%- if ('data', c.name) in fitting %}
    {{ streamleap._fitting_column_value(spec, c, texts[('data', c.name)], fitting[('data', c.name)]) }} as {{ q(c.name) }},
    {%- else %}
    {{ streamleap._column_value(spec, c, texts[('data', c.name)]) }} as {{ q(c.name) }},
    {%- endif %}
    {%- endfor %}
    {%- for c in spec.key %}
    {%- if (spec.before_image, c.name) in fitting %}
    {{ fitting[(spec.before_image, c.name)] }} as _sl_before_{{ loop.index }},
    {%- else %}
    {{ streamleap.convert_value(c, texts[(spec.before_image, c.name)], 'payload', spec.before_image, ss) }} as _sl_before_{{ loop.index }},
    {%- endif %}
    {%- endfor %}
    _sl_op,
    {{ streamleap.order_key_sql(fmt, '_sl_op', '_sl_commit_text', '_sl_time_digits', '_sl_trid', 'sequence_number') }} as _streamleap_order,
    case when _sl_problem is null then {{ streamleap._digits_to_timestamp('_sl_time_digits') }} end as _streamleap_commit_ts,
    _sl_batch_end as _streamleap_synced_at{% if spec.mode == 'history' %}, _sl_time_digits{% endif %}
  from checked
  where _sl_problem is null
),
keyed as (
  select
    {%- for c in spec.columns %}
    {{ q(c.name) }},
    {%- endfor %}
    _sl_op as _streamleap_op, _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at{% if spec.mode == 'history' %}, _sl_time_digits{% endif %}
  from changes
  union all
  {# a primary-key update also removes the row at its old key #}
  select
    {%- for c in spec.columns %}
    {%- set ki = (spec.key | map(attribute='name') | list).index(c.name) if c.name in (spec.key | map(attribute='name') | list) else -1 %}
    {% if ki >= 0 %}_sl_before_{{ ki + 1 }}{% else %}cast(null as {{ streamleap.column_type(c) }}){% endif %},
    {%- endfor %}
    'delete', _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at{% if spec.mode == 'history' %}, _sl_time_digits{% endif %}
  from changes
  where _sl_op = 'update'
    and {% for c in spec.key %}_sl_before_{{ loop.index }} is not null{{ ' and ' if not loop.last }}{% endfor %}
    and not ({% for c in spec.key %}_sl_before_{{ loop.index }} = {{ q(c.name) }}{{ ' and ' if not loop.last }}{% endfor %})
),
{%- if spec.mode == 'history' %}
historized as (
  {#- a version's identity: its change's place in commit order without the Kinesis sequence
      number, so that a re-delivery is the same change (history_order_sql) #}
  select keyed.*, {{ streamleap.history_order_sql('_streamleap_op', '_streamleap_order', '_sl_time_digits') }} as _sl_identity
  from keyed
),
{%- endif %}
ranked as (
  select {{ 'historized' if spec.mode == 'history' else 'keyed' }}.*, row_number() over (
    partition by {% for c in spec.key %}{{ q(c.name) }}{{ ', ' if not loop.last }}{% endfor %}
    order by _streamleap_order desc) as _sl_rank
    {%- if spec.mode == 'soft_delete' %},
    {#- the newest change that is not a delete: the values a key deleted in this batch keeps #}
    row_number() over (
    partition by {% for c in spec.key %}{{ q(c.name) }}, {% endfor %}case when _streamleap_op = 'delete' then 1 else 0 end
    order by _streamleap_order desc) as _sl_op_rank
    {%- endif %}
    {%- if spec.mode == 'history' %},
    {#- every change of a key is a version (or closes one): each once #}
    row_number() over (
    partition by {% for c in spec.key %}{{ q(c.name) }}, {% endfor %}_sl_identity
    order by _streamleap_order desc) as _sl_identity_rank
    {%- endif %}
  from {{ 'historized' if spec.mode == 'history' else 'keyed' }}
)
select
  {%- for c in spec.columns %}
  ranked.{{ q(c.name) }},
  {%- endfor %}
  cast(ranked._streamleap_op as varchar(16)) as _streamleap_op,
  cast(ranked.{{ '_sl_identity' if spec.mode == 'history' else '_streamleap_order' }} as varchar(256)) as _streamleap_order,
  ranked._streamleap_commit_ts,
  ranked._streamleap_synced_at
  {%- if spec.mode == 'soft_delete' %},
  {{ streamleap.soft_delete_flags_sql('ranked._streamleap_op', 'ranked._streamleap_commit_ts', 'ranked._streamleap_order') }}
  {%- elif spec.mode == 'history' %},
  {{ streamleap.history_shape_sql(spec, 'ranked._streamleap_commit_ts') }}
  {%- endif %}
from ranked
{%- if spec.mode == 'history' %}
where ranked._sl_identity_rank = 1
{%- else %}
where ranked._sl_rank = 1
{%- endif %}
{%- if spec.mode == 'soft_delete' %}
   or (ranked._streamleap_op <> 'delete' and ranked._sl_op_rank = 1)
{%- endif %}
union all
{#- the TRUNCATEs (apply_truncate_sql, after the apply): the mirror's rows older than them go,
    those this batch gave it too #}
select
  {%- for c in spec.columns %}
  cast(null as {{ streamleap.column_type(c) }}),
  {%- endfor %}
  cast('truncate' as varchar(16)), cast({{ 'substring(_streamleap_order, 1, 41)' if spec.mode == 'history' else '_streamleap_order' }} as varchar(256)), _streamleap_commit_ts, _streamleap_synced_at
  {%- if spec.mode == 'soft_delete' %}, cast(null as boolean), cast(null as timestamp), cast(null as varchar(256)){% endif %}
  {%- if spec.mode == 'history' %}, {{ streamleap.history_nulls_sql(spec) }}{% endif %}
from truncates
{%- if checked is none %}
union all
{# the batch end, so that the watermark moves past everything read (a cycle's finish moves it) #}
select
  {%- for c in spec.columns %}
  cast(null as {{ streamleap.column_type(c) }}),
  {%- endfor %}
  cast('watermark' as varchar(16)), cast(null as varchar(256)), cast(null as timestamp), _sl_batch_end
  {%- if spec.mode == 'soft_delete' %}, cast(null as boolean), cast(null as timestamp), cast(null as varchar(256)){% endif %}
  {%- if spec.mode == 'history' %}, {{ streamleap.history_nulls_sql(spec) }}{% endif %}
from batch_end
where _sl_batch_end is not null
{%- endif %}
{%- endmacro %}

{#- A column's value in the batch. Key columns passed record_problem. The other columns: with
    streamleap_on_misfit 'adjust' a value that does not fit is adjusted (values.sql adjust_value;
    the set-aside model keeps the record beside it); with 'set_aside' its record never gets here.
    A delete's other columns are not checked (only its key is applied): NULL, so that no cast
    of a value that does not fit (a MySQL zero date in a deleted row) can fail the batch. -#}
{% macro _column_value(spec, c, t) -%}
  {%- if c in spec.key -%}
    {{ streamleap.convert_value(c, t, 'payload', streamleap.value_section(spec), spec.stream_schema) }}
  {%- elif streamleap.on_misfit() == 'adjust' -%}
    {{ streamleap.convert_value(c, t, 'payload', streamleap.value_section(spec), spec.stream_schema, adjust=true) }}
  {%- else -%}
    case when _sl_op = 'delete' then cast(null as {{ streamleap.column_type(c) }}) else {{ streamleap.convert_value(c, t, 'payload', streamleap.value_section(spec), spec.stream_schema) }} end
  {%- endif -%}
{%- endmacro %}

{#- A batch's values typed once (change_batch_sql's typed step, a cycle's cycle_checked_sql): the
    column that holds each value of the spec (data columns, and the key's before-image) as it is
    when it fits, and NULL when it is NULL or does not fit (_fitting_value). One conversion per
    value serves the checks, the misfit flags and the mirror's changes, which otherwise each
    converted it again. Left out:
      - JSON (super) columns: their check and their conversion are different SQL;
      - binary columns: an empty value fits, and whether every target converts it to a value and
        not to NULL is not documented (Redshift's TO_VARBYTE of '');
      - every value of a table of more than 750 (columns and key): typed beside their texts they
        would pass Postgres's 1,664 select-list entries, and a cycle's checked table the 1,600
        columns of a Postgres or Redshift table. Such a table's values are checked and converted
        where they are used, as before. -#}
{% macro _fitting_aliases(spec) -%}
  {%- set out = {} -%}
  {%- if (spec.columns | length) + (spec.key | length) > 750 -%}{{ return(out) }}{%- endif -%}
  {%- for c in spec.columns if c.family not in ('super', 'binary') %}{% do out.update({('data', c.name): '_sl_v' ~ loop.index}) %}{% endfor -%}
  {%- for c in spec.key if c.family not in ('super', 'binary') %}{% do out.update({(spec.before_image, c.name): '_sl_bv' ~ loop.index}) %}{% endfor -%}
  {{ return(out) }}
{%- endmacro %}

{#- Column col's value from its text t (section of payload) when it fits, judged as misfit_columns
    and record_problem judge it (value_check with the record: a decimal read as a double is checked
    against its text), else NULL. An integer's is integer_value, which is its check. -#}
{% macro _fitting_value(col, t, section, stream_schema) -%}
  {%- if col.family == 'integer' -%}
  {{ streamleap.integer_value(col, t) }}
  {%- else -%}
  case when {{ streamleap.value_check(col, t, stream_schema, 'payload', section) }} then {{ streamleap.converted_value(col, t) }}
  else cast(null as {{ streamleap.column_type(col) }}) end
  {%- endif -%}
{%- endmacro %}

{#- The typed step's select list after `<relation>.*`: each value of _fitting_aliases, typed
    (`,` and the column per value). -#}
{% macro _fitting_columns(spec, texts, fitting) -%}
    {%- for c in spec.columns if ('data', c.name) in fitting %},
    {{ streamleap._fitting_value(c, texts[('data', c.name)], streamleap.value_section(spec), spec.stream_schema) }} as {{ fitting[('data', c.name)] }}
    {%- endfor %}
    {%- for c in spec.key if (spec.before_image, c.name) in fitting %},
    {{ streamleap._fitting_value(c, texts[(spec.before_image, c.name)], spec.before_image, spec.stream_schema) }} as {{ fitting[(spec.before_image, c.name)] }}
    {%- endfor %}
{%- endmacro %}

{#- _column_value of records that hold their values typed once (v): the same values.
    The key's passed record_problem's check; with 'adjust' a value that does not fit is adjusted
    from its text; with 'set_aside' a record holding one never gets here, and a delete's other
    columns are NULL. -#}
{% macro _fitting_column_value(spec, c, t, v) -%}
  {%- if c in spec.key or (c.family == 'integer' and streamleap.on_misfit() == 'adjust') -%}
    {{ v }}
  {%- elif streamleap.on_misfit() == 'adjust' -%}
    case when {{ v }} is not null then {{ v }} else {{ streamleap.adjust_value(c, t) }} end
  {%- else -%}
    case when _sl_op = 'delete' then cast(null as {{ streamleap.column_type(c) }}) else {{ v }} end
  {%- endif -%}
{%- endmacro %}

{#- Why a record of this table cannot be applied (SQL text), or NULL when it can.
    texts maps (section, column name) to the SQL of that value's text. A value of a column that
    is not part of the key and does not fit makes a problem only with streamleap_on_misfit
    'set_aside' (with 'adjust' it is adjusted, see misfit_columns). -#}
{#- fitting: the columns of the values typed once (_fitting_aliases), when the records hold them:
    a value that does not fit is one whose typed value is NULL. -#}
{% macro record_problem(spec, op, texts, metadata_problem=none, fitting={}) -%}
  {%- set adjust = streamleap.on_misfit() == 'adjust' -%}
  case
    {%- if metadata_problem %}
    when {{ metadata_problem }} is not null
      then {{ metadata_problem }}
    {%- else %}
    {{ streamleap._metadata_problem_branches(op, texts, spec.stream_schema, streamleap.record_format(spec)) }}
    {%- endif %}
    {%- for c in spec.key %}
    when {{ texts[('data', c.name)] }} is null
      then {{ streamleap._string_literal('key column ' ~ c.name ~ ' is missing') }}
    {%- endfor %}
    {%- if ('format', 'undecoded') in texts %}
    when {{ texts[('format', 'undecoded')] }} is not null
      then {{ texts[('format', 'undecoded')] }}
    {%- endif %}
    {%- for c in spec.columns if c in spec.key or not adjust %}
    {%- set t = texts[('data', c.name)] %}
    when {% if c not in spec.key %}{{ op }} <> 'delete' and {% endif %}{{ t }} is not null and {% if ('data', c.name) in fitting %}{{ fitting[('data', c.name)] }} is null{% else %}not ({{ streamleap.value_check(c, t, spec.stream_schema, 'payload', streamleap.value_section(spec)) }}){% endif %}
      then {{ streamleap._string_literal('column ' ~ c.name ~ ': value does not fit ' ~ c.types.redshift) }}
    {%- endfor %}
    {%- for c in spec.key %}
    {%- set t = texts[(spec.before_image, c.name)] %}
    when {{ t }} is not null and {% if (spec.before_image, c.name) in fitting %}{{ fitting[(spec.before_image, c.name)] }} is null{% else %}not ({{ streamleap.value_check(c, t, spec.stream_schema, 'payload', spec.before_image) }}){% endif %}
      then {{ streamleap._string_literal('before-image key column ' ~ c.name ~ ': value does not fit ' ~ c.types.redshift) }}
    {%- endfor %}
  end
{%- endmacro %}

{#- The truncate-table control records of rows (a SQL relation of the table's control records read
    past the watermark) that can be placed (problem, SQL over its columns: NULL): order key,
    commit time and batch end, as a change's. -#}
{% macro _truncates_select(rows, problem, fmt={'name': 'dms'}) -%}
select
    {%- if fmt.name == 'dms' %}
    '1' || _sl_truncate_digits || lpad(coalesce(_sl_trid, ''), 20, '0')
      || lpad(cast(length(sequence_number) as varchar), 3, '0') || sequence_number as _streamleap_order,
    {%- else %}
    {{ streamleap.order_key_sql(fmt, '_sl_op', '_sl_commit_text', '_sl_truncate_digits', '_sl_trid', 'sequence_number') }} as _streamleap_order,
    {%- endif %}
    case when _sl_truncate_problem is null then {{ streamleap._digits_to_timestamp('_sl_truncate_digits') }} end as _streamleap_commit_ts,
    _sl_batch_end as _streamleap_synced_at
  from (select r.*, {{ problem }} as _sl_truncate_problem, {{ streamleap._ts_digits('r._sl_commit_text') }} as _sl_truncate_digits
        from {{ rows }} r where r._sl_op = 'truncate-table') t
  where _sl_truncate_problem is null
{%- endmacro %}

{#- Why a control record of a mirrored table needs a look (SQL text), or NULL: a drop-table (the
    mirror keeps its rows; nothing of the table arrives after it), a truncate-table that cannot be
    placed in commit order (no commit-timestamp, or times that do not read). Other control records
    (create-table, add-column, ...) need nothing: `streamleap generate` follows the columns. -#}
{% macro control_problem(op, commit_text, ts_text, trid_text, stream_schema, fmt={'name': 'dms'}) -%}
{%- set dms = fmt.name == 'dms' -%}
case when {{ op }} = 'drop-table'
       then 'drop-table: the source table was dropped; the mirror keeps its rows'
     when {{ op }} = 'truncate-table' and {{ commit_text }} is null
       then {{ streamleap._string_literal(('truncate-table without metadata.commit-timestamp' if dms else 'truncate (op t) without source.ts_ms')
                                          ~ ' cannot be placed in commit order; the mirror keeps its rows') }}
     {%- if not dms %}
     when {{ op }} = 'truncate-table' and {{ trid_text }} is null
       then 'truncate (op t) without a source position (lsn, or file and pos) cannot be placed in commit order; the mirror keeps its rows'
     {%- endif %}
     when {{ op }} = 'truncate-table' then case
       {{ streamleap._metadata_problem_branches("'load'", streamleap._with_times({}, commit_text, ts_text, trid_text), stream_schema, fmt) }}
     end
end
{%- endmacro %}

{#- The CASE branches of record_problem that look at the record's metadata only (its operation,
    times and transaction-record-id): the same for every table, so a cycle judges them once per
    record (cycle.sql; record_problem's metadata_problem). -#}
{% macro _metadata_problem_branches(op, texts, stream_schema, fmt={'name': 'dms'}) -%}
  {%- set p = streamleap._patterns() -%}
  {%- if fmt.name == 'flat' -%}
    {{ return(streamleap._flat_problem_branches(op, texts, fmt)) }}
  {%- elif fmt.name != 'dms' -%}
    {{ return(streamleap._debezium_problem_branches(op, texts)) }}
  {%- endif %}
    when {{ op }} is null or {{ op }} not in ('load', 'insert', 'update', 'delete')
      then 'unknown operation ' || coalesce({{ op }}, '(missing)')
    {%- if ('metadata', 'timestamp') in texts %}
    when {{ texts[('metadata', 'commit-timestamp')] }} is null and {{ texts[('metadata', 'timestamp')] }} is null
      then 'metadata.timestamp is missing'
    {%- endif %}
    {%- for field in ['commit-timestamp', 'timestamp'] if ('metadata', field) in texts %}
    {%- set t = texts[('metadata', field)] %}
    {#- the order key and _streamleap_commit_ts are read off this text: a real calendar time, of the
        digits the order key compares (no 24:00:00) #}
    when {{ t }} is not null and not (case when {{ streamleap.re_full(t, p.date ~ '[ T](' ~ p.clock ~ ')' ~ p.tz ~ '?') }}
                                          then {{ streamleap.castable('substr(' ~ t ~ ', 1, 10)', 'date', stream_schema) }} else false end)
      then {{ streamleap._string_literal('metadata.' ~ field ~ ' is not an ISO-8601 timestamp') }}
    {%- endfor %}
    {%- if ('metadata', 'transaction-record-id') in texts %}
    {%- set t = texts[('metadata', 'transaction-record-id')] %}
    {#- compared as 20 digits in the order key: a longer one would be cut, and two ids compare equal #}
    when {{ t }} is not null and not {{ streamleap.re_full(t, '[0-9]{1,20}') }}
      then 'metadata.transaction-record-id is not a whole number of at most 20 digits'
    {%- endif %}
{%- endmacro %}

{#- A record's metadata problem as a value of its own (SQL; NULL when none). -#}
{% macro metadata_problem(op, commit_text, ts_text, trid_text, stream_schema, fmt={'name': 'dms'}) -%}
  case
    {{ streamleap._metadata_problem_branches(op, {('metadata', 'commit-timestamp'): commit_text, ('metadata', 'timestamp'): ts_text,
                                                  ('metadata', 'transaction-record-id'): trid_text}, stream_schema, fmt) }}
  end
{%- endmacro %}

{#- With streamleap_on_misfit 'adjust': which columns of a record the mirror applies adjusted, as
    SQL text '|i|j|' (offset + positions in spec.columns; '' when none): the non-null values of columns
    outside the key that do not fit, in records other than deletes. Judged by the same
    value_check as the mirror's convert_value. -#}
{#- fitting: the columns of the values typed once (_fitting_aliases), when the records hold them. -#}
{% macro misfit_columns(spec, op, texts, offset=0, fitting={}) -%}
  {%- set parts = [] -%}
  {%- for c in spec.columns -%}
    {%- set t = texts[('data', c.name)] -%}
    {%- if c not in spec.key and ('data', c.name) in fitting -%}
    {%- do parts.append("case when " ~ t ~ " is not null and " ~ fitting[('data', c.name)] ~ " is null then '|" ~ (offset + loop.index) ~ "|' else '' end") -%}
    {%- elif c not in spec.key -%}
    {%- do parts.append("case when " ~ t ~ " is not null and not (" ~ streamleap.value_check(c, t, spec.stream_schema, 'payload', streamleap.value_section(spec)) ~ ") then '|" ~ (offset + loop.index) ~ "|' else '' end") -%}
    {%- endif -%}
  {%- endfor -%}
  {%- if parts -%}
    case when {{ op }} = 'delete' then '' else {{ parts | join(' || ') }} end
  {%- else -%}
    ''
  {%- endif -%}
{%- endmacro %}

{#- A `streamleap run` cycle's records of the spec's tables (cycle.sql), read and judged once for
    both of their uses: the mirror's batch of changes (change_batch_sql with checked=) and the
    set-aside model's rows (set_aside_from_checked_sql), each of which reads past its own
    watermark. Every record of the tables in the cycle's batch, of any record-type, with the
    values read (_texts, metadata), the reason the set-aside model gives it (_sl_problem: NULL
    when it can be applied, or needs nothing: a control record), the columns adjusted in it
    (_sl_misfits, with streamleap_on_misfit 'adjust') and its commit time's digits. -#}
{% macro cycle_checked_sql(cycle_batch, spec, cycle_filter) -%}
{%- set texts = streamleap._texts(spec) -%}
{%- set read = streamleap._record_fields(spec, metadata=false, is_delete="_sl_op = 'delete'") -%}
{%- set cols = {'payload': 'payload', 'raw': 'raw_data', 'record_type': '_sl_record_type', 'table': '_sl_table', 'schema': '_sl_schema',
                'op': '_sl_op', 'commit': '_sl_commit_text', 'ts': '_sl_ts_text', 'trid': '_sl_trid',
                'rule_ok': '_sl_rule_ok', 'metadata_problem': '_sl_metadata_problem', 'format': streamleap.record_format(spec),
                'fitting': streamleap._fitting_aliases(spec)} -%}
with new_rows as (
  select * from {{ cycle_batch }}
  where {{ cycle_filter }}
),
{%- set each_record -%}
  select new_rows.*
    {%- for (keys, alias), expr in zip(read.fields, read.reader['values']) %},
    {{ expr }} as {{ alias }}
    {%- endfor %}
  from (select new_rows.*{% if read.reader['once'] %}, {{ read.reader['once'] }} as _sl_values{% endif %} from new_rows) new_rows
{%- endset %}
parsed as (
  {#- the batch read and judged the metadata; the table's values, read once #}
{{ streamleap.with_finals(each_record, read.finals) }}
),
{%- set fitting = cols.fitting %}
typed as (
  {#- and typed once: the mirror's batch (change_batch_sql) and the misfit flags read them -#}
  select parsed.*{{ streamleap._fitting_columns(spec, texts, fitting) }}
  from parsed{{ streamleap._parse_once_fence() }}
)
select typed.*,
  {{ streamleap._reason_case(cols, [(spec, texts)]) }} as _sl_problem
  {%- if streamleap.on_misfit() == 'adjust' %},
  case when _sl_record_type = 'data' then {{ streamleap.misfit_columns(spec, '_sl_op', texts, fitting=fitting) }} else '' end as _sl_misfits
  {%- endif %}
from typed
{%- endmacro %}

{#- The CTE of each record's values (parsed): materialized on DuckDB, which otherwise takes the
    filters on them (the record's table, schema and record-type) down to the scan and parses each
    record once for every one of them, then once more for the values. -#}
{% macro _parsed_cte() -%}{{ return(adapter.dispatch('_parsed_cte', 'streamleap')()) }}{%- endmacro %}
{% macro default___parsed_cte() -%}{%- endmacro %}
{% macro duckdb___parsed_cte() -%}materialized {% endmacro %}
