{#-
  The set-aside model of a stream: every record that cannot be applied, with its raw bytes,
  the reason and its stream position, queryable like any table. Records that are not JSON, that
  carry no DMS metadata, or that belong to a mirrored table but cannot be applied to it (unknown
  operation, missing key, a key value that does not fit its column) land here; the mirrors skip
  them. Records of tables that are not mirrored, and control records, are neither.

  A value outside the key that does not fit its column (var streamleap_on_misfit): with 'adjust'
  (the default) the mirror applies the change with the value adjusted, and the record is kept here
  as well, one row per adjusted column: adjusted = true, column_name = the column, reason =
  'column <c>: value does not fit <type>; adjusted: <cut to N bytes | rounded to S decimals |
  set to NULL>'. With 'set_aside' the record is set aside whole (adjusted = false), as are all
  records above.

  Usage:
    {{ config(materialized='streamleap_set_aside', streamleap_set_aside={'stream_model': 'shop_cdc'}) }}
    {{ streamleap.set_aside_select(ref('shop_cdc')) }}
  The mirrored tables are found in the project: every model with a streamleap_table config
  that refs the same staging model. The model's SQL is the batch this run sets aside (run_mode):
  every record past the watermark, or every record the stream retains on a first build.
-#}
{% macro set_aside_select(staging) -%}
  {%- if not execute -%}{{ return('select 1 as parsing_only') }}{%- endif -%}
  {%- set run = streamleap.run_mode() -%}
  {%- if run.mode == 'nothing_new' -%}
select 1 as nothing_new where 1 = 0
  {%- elif run.mode == 'build' -%}
{{ streamleap.first_build_select(streamleap.set_aside_batch_sql(staging, none)) }}
  {%- else -%}
{{ streamleap.set_aside_batch_sql(staging, this) }}
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
      {%- do specs.append(streamleap.node_mirror_spec(node)) -%}
    {%- endif -%}
  {%- endfor -%}
  {{ return(specs) }}
{%- endmacro %}

{% macro payload_bytes(payload) -%}{{ return(adapter.dispatch('payload_bytes', 'streamleap')(payload)) }}{%- endmacro %}
{% macro duckdb__payload_bytes(payload) -%}encode(cast({{ payload }} as varchar)){%- endmacro %}
{% macro postgres__payload_bytes(payload) -%}convert_to(cast({{ payload }} as text), 'UTF8'){%- endmacro %}
{% macro redshift__payload_bytes(payload) -%}json_serialize_to_varbyte({{ payload }}){%- endmacro %}

{#- The record's bytes. Redshift's staging view keeps them for every record (staging_select), so
    no SUPER is serialized again there; a view built before that (raw_data only for records that
    are not JSON) still gets the serialized payload. Locally raw_data holds only those records. -#}
{% macro record_bytes(payload, raw) -%}coalesce({{ raw }}, {{ streamleap.payload_bytes(payload) }}){%- endmacro %}

{#- Why a record has no payload (SQL text). Redshift: JSON_PARSE refuses a string longer than 65,535
    bytes unless enable_large_strings_opt_in is on; only a record longer than that can hold one.
    https://docs.aws.amazon.com/redshift/latest/dg/r_enable_large_strings_opt_in.html -#}
{% macro unparsed_reason(raw) -%}{{ return(adapter.dispatch('unparsed_reason', 'streamleap')(raw)) }}{%- endmacro %}
{% macro default__unparsed_reason(raw) -%}'not valid JSON'{%- endmacro %}
{% macro redshift__unparsed_reason(raw) -%}
case when octet_length({{ raw }}) > 65535
  then 'not parsed as JSON: not valid JSON, or a string in it is longer than 65,535 bytes, which Redshift parses only with enable_large_strings_opt_in on'
  else 'not valid JSON' end
{%- endmacro %}

{#- cycle_filter: when given, staging is a `streamleap run` cycle's batch of the stream's new
    records (cycle.sql), which carries each record's _sl_schema and _sl_table; only the records
    that condition keeps are read (the state table exists then: the cycle runs after a dbt run). -#}
{% macro set_aside_batch_sql(staging, relation, specs=none, cycle_filter=none, fmt=none) -%}
{%- if specs is none -%}
  {%- set specs = streamleap.mirrors_of((config.get('streamleap_set_aside') or {}).get('stream_model')) -%}
{%- endif -%}
{%- if fmt is none -%}
  {%- set fmt = streamleap.record_format(specs[0]) if specs else streamleap._checked_format((config.get('streamleap_set_aside') or {}).get('format'), this) -%}
{%- endif -%}
{#- every value any mirror checks, read once per record (positional aliases) -#}
{%- set fields = [] -%}
{%- set per_spec = [] -%}
{#- other formats: the fields read, then finals over them (record_format.sql), then their names here -#}
{%- set finals = [] -%}
{%- set names = [] -%}
{%- if fmt.name == 'dms' -%}
{%- for key, alias in [('schema-name', 'schema_name'), ('table-name', 'table_name'), ('operation', 'operation'), ('record-type', 'record_type'),
                       ('commit-timestamp', '_sl_commit_text'), ('timestamp', '_sl_ts_text'), ('transaction-record-id', '_sl_trid_text')] -%}
  {%- do fields.append((['metadata', key], alias)) -%}
{%- endfor -%}
{%- else -%}
  {%- set meta = streamleap.format_metadata(fmt) -%}
  {%- do fields.extend(meta.fields) -%}
  {%- do finals.extend(meta.finals) -%}
  {%- for final, name in [('_sl_schema', 'schema_name'), ('_sl_table', 'table_name'), ('_sl_op', 'operation'), ('_sl_record_type', 'record_type'),
                          ('_sl_trid', '_sl_trid_text')] -%}
    {%- do names.append((final, name)) -%}
  {%- endfor -%}
{%- endif -%}
{#- Postgres takes at most 1,664 columns in a select list (and Redshift tables 1,600): past 1,000
    values, a DMS stream's values are read where they are checked instead of as columns of their
    own (a record meets only its own table's checks, so each is still read a few times at most);
    another format's are decoded into columns the tables share (below) -#}
{%- set total = namespace(n=fields | length + finals | length) -%}
{%- set own = [] -%}
{%- for spec in specs -%}
  {%- if fmt.name == 'dms' -%}
    {%- set total.n = total.n + streamleap._texts(spec) | length -%}
  {%- else -%}
    {%- set values = streamleap.format_values(spec, "_sl_d_op = 'd'", '_sl_s' ~ loop.index ~ '_') -%}
    {%- do own.append(values) -%}
    {%- set total.n = total.n + values.fields | length + values.finals | length -%}
  {%- endif -%}
{%- endfor -%}
{%- set inline = total.n > 1000 -%}
{%- if fmt.name != 'dms' and inline -%}
  {#- other formats, past that many: the tables share their values' columns (a record is of one
      table): the i-th column holds the i-th value of the record's own table, read and decoded
      behind a CASE on its table (so a record reads only its own table's values), after the
      record's table is known (the metadata's finals, stage 0) -#}
  {%- set meta_staged = [] -%}
  {%- for f in finals %}{% do meta_staged.append((f[0], f[1], 0)) %}{% endfor -%}
  {%- do finals.clear() -%}
  {%- do finals.extend(meta_staged) -%}
  {%- set shared = {} -%}
  {%- set order = [] -%}
  {%- for spec in specs -%}
    {%- set values = streamleap.format_values(spec, "_sl_d_op = 'd'", '_sl_v_') -%}
    {%- set table = streamleap.source_table_filter(spec, '_sl_table', '_sl_schema') -%}
    {%- set parts = [] -%}
    {%- for keys, alias in values.fields %}{% do parts.append((alias, 1, streamleap.json_text('payload', keys))) %}{% endfor -%}
    {%- for f in values.finals %}{% do parts.append((f[1], f[2] + 1 if f | length == 3 else 9, f[0])) %}{% endfor -%}
    {%- for alias, stage, expr in parts -%}
      {%- if alias not in shared %}{% do shared.update({alias: (stage, [])}) %}{% do order.append(alias) %}{% endif -%}
      {%- do shared[alias][1].append('when ' ~ table ~ ' then ' ~ expr) -%}
    {%- endfor -%}
    {%- do per_spec.append((spec, values.texts)) -%}
  {%- endfor -%}
  {%- for alias in order -%}
    {%- do finals.append(('case ' ~ (shared[alias][1] | join('\n    ')) ~ ' end', alias, shared[alias][0])) -%}
  {%- endfor -%}
{%- else -%}
{%- for values in own -%}
  {%- do fields.extend(values.fields) -%}
  {%- do finals.extend(values.finals) -%}
  {%- do per_spec.append((specs[loop.index0], values.texts)) -%}
{%- endfor -%}
{%- endif -%}
{%- for spec in specs if fmt.name == 'dms' -%}
  {%- set texts = {} -%}
  {%- for (section, name), _ in streamleap._texts(spec).items() -%}
    {%- if inline -%}
      {%- do texts.update({(section, name): streamleap.json_text('payload', [section, name])}) -%}
    {%- else -%}
      {%- set alias = '_sl_s' ~ loop.index ~ '_' ~ (fields | length) -%}
      {%- do fields.append(([section, name], alias)) -%}
      {%- do texts.update({(section, name): alias}) -%}
    {%- endif -%}
  {%- endfor -%}
  {%- do per_spec.append((spec, texts)) -%}
{%- endfor -%}
{#- with streamleap_on_misfit 'adjust': every column of every mirror gets a number (the spec's
    offset + its position), which names it in the records' _sl_misfits lists -#}
{%- set adjust = streamleap.on_misfit() == 'adjust' -%}
{%- set numbered = [] -%}
{%- set offsets = [] -%}
{%- for spec, texts in per_spec -%}
  {%- set offset = numbered | length -%}
  {%- do offsets.append(offset) -%}
  {%- for c in spec.columns %}{% do numbered.append((offset + loop.index, spec, c, texts[('data', c.name)])) %}{% endfor -%}
{%- endfor -%}
{#- the columns a value can be adjusted in (not the key's): none, no rows of adjusted values -#}
{%- set adjustable = [] -%}
{%- for n, spec, c, t in numbered if c not in spec.key %}{% do adjustable.append(n) %}{% endfor -%}
{%- set reader = streamleap.json_reader('payload', fields | map(attribute=0) | list) -%}
with new_rows as {{ streamleap.materialized_cte() }}(
  select refresh_time, shard_id, sequence_number, partition_key, payload, raw_data
  from {{ staging }}
  {%- if cycle_filter %}
  where refresh_time > {{ streamleap.watermark_lookup_sql(relation) }} and {{ cycle_filter }}
  {%- else %}
  where refresh_time > {{ streamleap.watermark_sql(relation) }}
  {%- endif %}
),
{%- set each_record -%}
  select
    refresh_time, shard_id, sequence_number, partition_key, payload, raw_data
    {%- for (keys, alias), expr in zip(fields, reader['values']) %},
    {{ expr }} as {{ alias }}
    {%- endfor %}
  from (select new_rows.*{% if reader['once'] %}, {{ reader['once'] }} as _sl_values{% endif %} from new_rows) parsed
{%- endset %}
records as (
{{ streamleap.with_finals(streamleap.with_finals(each_record, finals), names, '_sl_named') }}
),
judged as (
  select records.*,
    {{ streamleap._reason_case(dict(streamleap._judged_columns(), format=fmt), per_spec) }} as reason,
    {%- if adjust and not per_spec %}
    '' as _sl_misfits,
    {%- elif adjust %}
    case
      {%- for spec, texts in per_spec %}
      when {{ streamleap._set_aside_record_of(spec) }}
        then {{ streamleap.misfit_columns(spec, 'operation', texts, offsets[loop.index0]) }}
      {%- endfor %}
      else ''
    end as _sl_misfits,
    {%- endif %}
    max(refresh_time) over () as _streamleap_synced_at
  from records
)
{{ streamleap._set_aside_rows(numbered if adjust and adjustable else []) }}
union all
select
  cast(null as timestamp), cast(null as varchar(20)), cast(null as varchar(128)), cast(null as varchar(256)),
  cast(null as varchar(256)), cast(null as varchar(256)), cast(null as varchar(64)), cast(null as varchar(1024)),
  cast(null as varchar(256)), cast(null as boolean),
  cast(null as {{ streamleap._bytes_type() }}), max(_streamleap_synced_at)
from judged
having count(*) > 0
{%- endmacro %}

{#- The rows a set-aside model keeps, from a CTE judged that precedes it (its columns: refresh_time,
    shard_id, sequence_number, partition_key, payload, raw_data, schema_name, table_name,
    operation, reason, _streamleap_synced_at; with numbered, _sl_misfits and the texts numbered
    names): a row per record with a reason, and, with streamleap_on_misfit 'adjust', a row per
    adjusted value. numbered: (n, spec, column, text) of every column a value can be adjusted in,
    n as _sl_misfits names it (empty: no rows of adjusted values). Ends without a newline. -#}
{% macro _set_aside_rows(numbered) -%}
{% if numbered %},
{#- the records applied with adjusted values (few), one row per adjusted column #}
_sl_adjusted as (
  select * from judged where reason is null and _sl_misfits <> ''
),
_sl_digits as (
  {% for d in range(10) %}select {{ d }} as d{{ ' union all ' if not loop.last }}{% endfor %}
),
_sl_numbers as (
  {%- set places = (numbered | length | string | length) %}
  select {% for i in range(places) %}n{{ i }}.d * {{ 10 ** i }}{{ ' + ' if not loop.last }}{% endfor %} as n
  from {% for i in range(places) %}_sl_digits n{{ i }}{{ ' cross join ' if not loop.last }}{% endfor %}
),
_sl_adjusted_columns as (
  select _sl_adjusted.*, _sl_numbers.n as _sl_column
  from _sl_adjusted cross join _sl_numbers
  where _sl_numbers.n between 1 and {{ numbered | length }}
    and _sl_misfits like '%|' || cast(_sl_numbers.n as varchar(16)) || '|%'
)
{%- endif %}
select
  refresh_time,
  cast(shard_id as varchar(20)) as shard_id,
  cast(sequence_number as varchar(128)) as sequence_number,
  cast(partition_key as varchar(256)) as partition_key,
  cast(schema_name as varchar(256)) as schema_name,
  cast(table_name as varchar(256)) as table_name,
  cast(operation as varchar(64)) as operation,
  cast(reason as varchar(1024)) as reason,
  cast(null as varchar(256)) as column_name,
  false as adjusted,
  {{ streamleap.record_bytes('payload', 'raw_data') }} as raw_data,
  _streamleap_synced_at
from judged
where reason is not null
{%- if numbered %}
union all
select
  refresh_time, cast(shard_id as varchar(20)), cast(sequence_number as varchar(128)), cast(partition_key as varchar(256)),
  cast(schema_name as varchar(256)), cast(table_name as varchar(256)), cast(operation as varchar(64)),
  cast(case _sl_column
    {%- for n, spec, c, t in numbered if c not in spec.key %}
    when {{ n }} then {{ streamleap._string_literal('column ' ~ c.name ~ ': value does not fit ' ~ c.types.redshift ~ '; adjusted: ') }} || {{ streamleap.adjustment_text(c, t) }}
    {%- endfor %}
  end as varchar(1024)),
  cast(case _sl_column
    {%- for n, spec, c, t in numbered if c not in spec.key %}
    when {{ n }} then {{ streamleap._string_literal(c.name) }}
    {%- endfor %}
  end as varchar(256)),
  true,
  {{ streamleap.record_bytes('payload', 'raw_data') }},
  _streamleap_synced_at
from _sl_adjusted_columns
{%- endif %}
{%- endmacro %}

{#- Why a record cannot be applied (SQL text): c names the columns holding the record's payload,
    raw_data and metadata (_judged_columns), and optionally those of its judgement already made
    (rule_ok: the JSON rule; metadata_problem: record_problem's metadata branches; a cycle's batch
    holds both; fitting: the values typed once, _fitting_aliases, when per_spec is one spec's);
    per_spec the mirrors' (spec, texts) whose records are judged by their checks; NULL for a record
    that can be applied or needs nothing. -#}
{% macro _reason_case(c, per_spec) -%}
{%- set fmt = c.get('format') or {'name': 'dms'} -%}
{%- set dms = fmt.name == 'dms' -%}
case
      {%- if not dms %}
      {#- a tombstone (a Kafka record without a value; Debezium Server writes an empty Kinesis record) follows a delete #}
      when {{ c.payload }} is null and coalesce(octet_length({{ c.raw }}), 0) = 0 then null
      {%- endif %}
      when {{ c.payload }} is null then {{ streamleap.unparsed_reason(c.raw) }}
      {%- set rule = c.get('rule_ok') or streamleap.payload_rule_check(c.payload) %}
      {%- if rule | trim %}
      when not {{ rule }} then 'not valid JSON'
      {%- endif %}
      {%- if dms %}
      when {{ c.record_type }} is null then 'no DMS metadata (metadata.record-type is missing)'
      {#- the mirrors take record-type 'data' only, and 'control' records are no changes: any other is kept here #}
      when {{ c.record_type }} not in ('data', 'control') then {{ streamleap.record_type_reason(c.record_type) }}
      when {{ c.record_type }} = 'data' and {{ c.table }} is null then 'metadata.table-name is missing'
      {%- elif fmt.name == 'flat' %}
      when {{ c.record_type }} is null then {{ streamleap._string_literal('not a change record (no ' ~ (fmt.get('op_field') or 'op') ~ ' field)') }}
      {%- if fmt.get('table_field') %}
      when {{ c.table }} is null then {{ streamleap._string_literal(fmt.table_field ~ ' is missing') }}
      {%- endif %}
      {%- else %}
      when {{ c.record_type }} is null then 'not a Debezium change event (no op)'
      when {{ c.record_type }} = 'data' and {{ c.table }} is null then 'source.table is missing'
      {%- endif %}
      {%- for spec, texts in per_spec %}
      when {{ c.record_type }} = 'data' and {{ streamleap.source_table_filter(spec, c.table, c.schema) }}
        then {{ streamleap.record_problem(spec, c.op, streamleap._with_times(texts, c.commit, c.ts, c.trid), c.get('metadata_problem'), c.get('fitting') or {}) }}
      {%- endfor %}
      {%- if per_spec %}
      when {{ c.record_type }} = 'control' and {{ streamleap.source_table_filter({'schema': per_spec[0][0].schema, 'table': per_spec[0][0].table,
                                                  'partitions': streamleap._other_tables(per_spec)}, c.table, c.schema) }}
        then {{ streamleap.control_problem(c.op, c.commit, c.ts, c.trid, per_spec[0][0].stream_schema, streamleap.record_format(per_spec[0][0])) }}
      {%- endif %}
    end
{%- endmacro %}

{#- Why a DMS record of another record-type than 'data' and 'control' is kept (SQL text over the
    record-type's column rt): streamleap capture's stand-in for a row's change over the stream's
    record limit (encoder.not_sent_stand_in) has its own reason. -#}
{% macro record_type_reason(rt) -%}
case when {{ rt }} = 'not-sent' then {{ streamleap.not_sent_reason() }}
     else 'unknown metadata.record-type ' || {{ rt }} end
{%- endmacro %}

{#- The reason of capture's stand-in for a row's change over the stream's record limit (a DMS
    record's record-type, a Debezium event's op: 'not-sent'), as a SQL literal. -#}
{% macro not_sent_reason() -%}
'not sent: the row''s change was over the stream''s record size limit, so capture sent this stand-in (its key, its small values, the size and the columns left out); the mirror row stays as it was (missing, after an insert) until the row''s next change'
{%- endmacro %}

{% macro _judged_columns() -%}
  {{ return({'payload': 'payload', 'raw': 'raw_data', 'record_type': 'record_type', 'table': 'table_name', 'schema': 'schema_name',
             'op': 'operation', 'commit': '_sl_commit_text', 'ts': '_sl_ts_text', 'trid': '_sl_trid_text'}) }}
{%- endmacro %}

{#- A record of the mirror's source table (SQL condition over the judged columns). -#}
{#- a data record of the mirror's table, or of one of its partitions -#}
{% macro _set_aside_record_of(spec) -%}
  record_type = 'data' and {{ streamleap.source_table_filter(spec, 'table_name', 'schema_name') }}
{%- endmacro %}

{% macro _set_aside_columns() -%}
  {{ return(['refresh_time', 'shard_id', 'sequence_number', 'partition_key', 'schema_name', 'table_name', 'operation', 'reason',
             'column_name', 'adjusted', 'raw_data', '_streamleap_synced_at']) }}
{%- endmacro %}

{#- Append the batch's set-aside records and move the watermark, in one transaction: the running one,
    or on Redshift a block of its own that locks the state table first (state_table.sql). The
    state's applied_rows counts the records set aside (not the adjusted ones, which were applied). -#}
{% macro apply_set_aside_sql(target, batch, store_fingerprint=true) -%}
{%- set cols = streamleap._set_aside_columns() -%}
{{ streamleap.create_state_table_sql(target) }};
{{ streamleap.begin_atomic() }}
{{ streamleap.lock_state_sql(target) }}
{{ streamleap.advance_watermark_sql(target, batch) }};
{{ streamleap.record_applied_sql(target, batch, 'reason is not null and adjusted = false') }};
insert into {{ target }} ({{ cols | join(', ') }})
select {{ cols | join(', ') }} from {{ batch }} where reason is not null
{%- if store_fingerprint %};
{{ streamleap.store_fingerprint_sql(target, streamleap.model_fingerprint()) }}
{%- endif %}
{{- streamleap.end_atomic() }}
{%- endmacro %}

{#- A set-aside table built before the columns column_name and adjusted existed gets them (its
    rows were all set aside whole). Runs inside the model's transaction, before the apply. -#}
{% macro upgrade_set_aside_sql(target) -%}
  {%- set existing = adapter.get_columns_in_relation(target) | map(attribute='name') | map('lower') | list -%}
  {%- set out = [] -%}
  {%- if 'column_name' not in existing -%}
    {%- do out.append('alter table ' ~ target ~ ' add column column_name varchar(256)') -%}
  {%- endif -%}
  {%- if 'adjusted' not in existing -%}
    {%- do out.append('alter table ' ~ target ~ ' add column adjusted boolean') -%}
    {%- do out.append('update ' ~ target ~ ' set adjusted = false') -%}
  {%- endif -%}
  {{ return(out | join(';\n') ~ (';\n' if out else '')) }}
{%- endmacro %}

{#- A `streamleap run` cycle's set-aside rows of one mirror's records past the set-aside model's
    (relation's) watermark (and that condition only, when given), from what the cycle read and
    judged of them once (cycle_checked_sql): the rows set_aside_batch_sql gives those records, but
    for _streamleap_synced_at (the end of that mirror's records, not of every record read). -#}
{% macro set_aside_from_checked_sql(checked, spec, relation, only=none) -%}
{%- set texts = streamleap._texts(spec) -%}
{%- set numbered = [] -%}
{%- for c in spec.columns %}{% do numbered.append((loop.index, spec, c, texts[('data', c.name)])) %}{% endfor -%}
{%- set adjust = streamleap.on_misfit() == 'adjust' and (spec.columns | length) > (spec.key | length) -%}
with judged as (
  select refresh_time, shard_id, sequence_number, partition_key, payload, raw_data,
    _sl_schema as schema_name, _sl_table as table_name, _sl_op as operation, _sl_problem as reason,
    {%- if adjust %}
    _sl_misfits,{% for (section, name), alias in texts.items() if section == 'data' %} {{ alias }},{% endfor %}
    {%- endif %}
    max(refresh_time) over () as _streamleap_synced_at
  from {{ checked }}
  where refresh_time > {{ streamleap.watermark_lookup_sql(relation) }}{% if only %} and {{ only }}{% endif %}
)
{{ streamleap._set_aside_rows(numbered if adjust else []) }}
{%- endmacro %}

{#- Every table of per_spec's specs but the first spec's own, as partitions entries: with that one,
    source_table_filter over all of them at once. -#}
{% macro _other_tables(per_spec) -%}
  {%- set out = [] -%}
  {%- for spec, texts in per_spec -%}
    {%- for schema, table in streamleap._spec_tables(spec) -%}
      {%- do out.append({'schema': schema, 'table': table}) -%}
    {%- endfor -%}
  {%- endfor -%}
  {{ return(out[1:]) }}
{%- endmacro %}
