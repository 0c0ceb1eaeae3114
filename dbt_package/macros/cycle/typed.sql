{#-
  A cycle's records checked and typed once for every table (docs/decisions/0017), on the targets
  where a statement's cost is mostly its planning: DuckDB and Postgres.

  A table's own statement of checks and conversions (cycle_checked_sql, change_batch_sql) is a
  CASE per column: a cycle that touched 200 tables planned 200 of them, which cost DuckDB about
  23 ms each however few records they read. Here the checks and conversions are written once per
  distinct column type (its signature: family, type, precision, scale, byte limit) over a table of
  every value of the cycle, and a table's statement only picks its values out and casts them:
    columns  (once per connection) one row per (mirror, source table, section, column): where a
             value comes from and its signature;
    claims   (once per connection) one row per (mirror, source table), and whether that mirror is
             the first of the stream to claim the table (the set-aside model judges a record by
             that one, as set_aside_batch_sql does);
    values   (per cycle) one row per (record, mirror, column): the value's text, whether it fits,
             its value as canonical text (converted, or adjusted with streamleap_on_misfit
             'adjust'), what was adjusted, and the problem it makes;
    judged   (per cycle) one row per (record, mirror): the record's reason (the set-aside model's
             reason, _reason_case; NULL when it can be applied or needs nothing), its order key
             and commit time;
    winners  (per cycle) one row per (mirror, key): the key's newest change of the batch, as
             change_batch_sql ranks them (a primary-key update also a delete at its old key),
             its values as text by column position. Ranking every mirror's changes in one
             statement took the window, the pivot and the union out of the tables' statements:
             a changed table's batch statement cost DuckDB 6.8 ms, now 2.2 ms.
  Then per changed mirror one statement makes its batch of changes (typed_changes_sql: its
  winners, cast, newer than its rows and tombstones), and the set-aside model takes every
  mirror's rows in one statement at its finish.
  Redshift keeps a table's own statements: its JSON values are read at literal paths (SUPER
  navigation, and the numbers as written by a literal pattern, json_access.sql), and it caches a
  statement's compiled plan across cycles.
-#}

{% macro cycle_types_once() -%}{{ return(adapter.dispatch('cycle_types_once', 'streamleap')()) }}{%- endmacro %}
{% macro default__cycle_types_once() -%}{{ return(false) }}{%- endmacro %}
{% macro duckdb__cycle_types_once() -%}{{ return(true) }}{%- endmacro %}
{% macro postgres__cycle_types_once() -%}{{ return(true) }}{%- endmacro %}
{#- dbt-redshift falls back to postgres__ macros -#}
{% macro redshift__cycle_types_once() -%}{{ return(false) }}{%- endmacro %}

{% macro _typed_relations() -%}
  {%- set out = {} -%}
  {%- for name in ['columns', 'claims', 'values', 'judged', 'winners', 'applied'] -%}
    {%- do out.update({name: streamleap._cycle_temp_relation('streamleap_cycle_' ~ name)}) -%}
  {%- endfor -%}
  {{ return(out) }}
{%- endmacro %}

{#- What value_check and the conversions read of a column: two columns of one signature are
    checked and converted by the same SQL. -#}
{% macro _value_signature(col) -%}
  {{ return(tojson([col.family, streamleap.column_type(col), col.types.redshift, col.get('precision'), col.get('scale'), col.get('max_bytes')])) }}
{%- endmacro %}

{#- The catalog of a stream's mirrors: mirrors, (node, spec) of every mirror of the stream in its
    order; include, the unique_ids whose rows are written (none: all). first_id numbers the mirrors
    (ids unique in the plan). Returns {'ids': {unique_id: id}, 'columns': [SQL row], 'claims':
    [SQL row], 'sigs': {signature: [id, column]}, 'sections': [section names], 'width': the most
    columns of a mirror included}. -#}
{% macro typed_catalog(stream_key, mirrors, first_id=1, include=none) -%}
  {%- set lit = streamleap._string_literal -%}
  {%- set out = {'ids': {}, 'columns': [], 'claims': [], 'sigs': {}, 'sections': ['data'], 'width': 0, 'states': {}, 'soft': [], 'history': []} -%}
  {%- set claimed = [] -%}
  {%- for node, spec in mirrors -%}
    {%- set mirror = first_id + loop.index0 -%}
    {%- do out.ids.update({node.unique_id: mirror}) -%}
    {%- set tables = streamleap._spec_tables(spec) -%}
    {%- set wanted = include is none or node.unique_id in include -%}
    {%- set rel = streamleap._node_relation(node) -%}
    {%- if wanted %}{% do out.states.update({streamleap.state_relation(rel).render(): streamleap.state_relation(rel)}) %}{% endif -%}
    {%- if wanted and spec.mode == 'soft_delete' %}{% do out.soft.append(mirror) %}{% endif -%}
    {%- if wanted and spec.mode == 'history' %}{% do out.history.append(mirror) %}{% endif -%}
    {%- for schema, table in tables -%}
      {%- if wanted %}{% do out.claims.append('(' ~ [lit(stream_key), mirror, lit(schema), lit(table), 'true' if [schema, table] not in claimed else 'false',
                                                     lit(streamleap._relation_key(rel))] | join(', ') ~ ')') %}{% endif -%}
      {%- do claimed.append([schema, table]) -%}
    {%- endfor -%}
    {%- if wanted -%}
      {%- set key_names = spec.key | map(attribute='name') | list -%}
      {%- if spec.columns | length > out.width %}{% do out.update({'width': spec.columns | length}) %}{% endif -%}
      {%- if spec.before_image not in out.sections %}{% do out.sections.append(spec.before_image) %}{% endif -%}
      {%- for c in spec.columns -%}
        {%- set sig = streamleap._value_signature(c) -%}
        {%- if sig not in out.sigs -%}
          {%- do out.sigs.update({sig: [out.sigs | length + 1, {'name': c.name, 'family': c.family, 'types': c.types, 'precision': c.get('precision'),
                                                                 'scale': c.get('scale'), 'max_bytes': c.get('max_bytes'),
                                                                 '_sl_json_type': 'each_value.json_type', '_sl_exact_pattern': 'cols.exact_pattern'}]}) -%}
        {%- endif -%}
        {%- set key_index = (key_names.index(c.name) + 1) if c.name in key_names else 0 -%}
        {%- set pos = loop.index -%}
        {%- for section in ['data'] + ([spec.before_image] if key_index else []) -%}
          {%- for schema, table in tables -%}
            {%- do out.columns.append('(' ~ [lit(stream_key), mirror, lit(schema), lit(table), lit(section), lit(c.name), pos, key_index, out.sigs[sig][0],
                                            lit(c.types.redshift),
                                            lit(streamleap.exact_number_pattern(c.name, section) if c.family == 'decimal' else '')] | join(', ') ~ ')') -%}
          {%- endfor -%}
        {%- endfor -%}
      {%- endfor -%}
    {%- endif -%}
  {%- endfor -%}
  {{ return(out) }}
{%- endmacro %}

{#- The statements that make the catalog tables (temporary) from catalogs' rows. -#}
{% macro typed_catalog_sql(catalogs) -%}
  {%- set r = streamleap._typed_relations() -%}
  {%- set out = [] -%}
  {%- do out.append('drop table if exists ' ~ r.columns) -%}
  {%- do out.append('create temporary table ' ~ r.columns ~ ' (stream varchar(1024), mirror integer, src_schema varchar(1024), src_table varchar(1024),'
                    ~ ' section varchar(1024), field varchar(1024), pos integer, key_index integer, sig integer,'
                    ~ ' type_name varchar(1024), exact_pattern varchar(4096))') -%}
  {%- do out.append('drop table if exists ' ~ r.claims) -%}
  {%- do out.append('create temporary table ' ~ r.claims ~ ' (stream varchar(1024), mirror integer, src_schema varchar(1024), src_table varchar(1024), first_claim boolean, model_key varchar(1024))') -%}
  {%- set columns = [] -%}
  {%- set claims = [] -%}
  {%- for catalog in catalogs %}{% do columns.extend(catalog.columns) %}{% do claims.extend(catalog.claims) %}{% endfor -%}
  {%- for rows in columns | batch(500) -%}
    {%- do out.append('insert into ' ~ r.columns ~ ' values\n' ~ rows | join(',\n')) -%}
  {%- endfor -%}
  {%- for rows in claims | batch(500) -%}
    {%- do out.append('insert into ' ~ r.claims ~ ' values\n' ~ rows | join(',\n')) -%}
  {%- endfor -%}
  {#- Postgres plans a temporary table it has no statistics for as if it were tiny: the values
      statement joined every record's fields to a 500-table catalog by nested loops (its cost
      grew with the table count: 377 ms at 500 tables, 163 ms at 200) -#}
  {%- do out.extend(streamleap._temp_statistics(r.columns)) -%}
  {%- do out.extend(streamleap._temp_statistics(r.claims)) -%}
  {#- the winners read every mirror's newest truncate applied -#}
  {%- set made = [] -%}
  {%- for catalog in catalogs -%}
    {%- for name, state in catalog.states.items() if name not in made -%}
      {%- do made.append(name) -%}
      {%- do out.append(streamleap.create_truncates_table_sql(state) | trim) -%}
    {%- endfor -%}
  {%- endfor -%}
  {{ return(out) }}
{%- endmacro %}

{#- Every value of the objects `sections` of the data records of cycle_batch: _sl_rec, section,
    field, t (the value's text, as json_text reads it) and, on DuckDB, its JSON type. A
    section that is not an object has none. -#}
{% macro typed_each_value_sql(cycle_batch, sections) -%}
  {{ return(adapter.dispatch('typed_each_value_sql', 'streamleap')(cycle_batch, sections)) }}
{%- endmacro %}
{% macro duckdb__typed_each_value_sql(cycle_batch, sections) -%}
  {#- json_each parses the record once for all of its values; a key written twice gives two rows,
      and the first is the one json_extract_string reads -#}
  select _sl_rec, section, field, t, json_type from (
  {%- for section in sections %}
    select b._sl_rec, {{ streamleap._string_literal(section) }} as section, e.key as field, json_extract_string(e.value, '$') as t, e.type as json_type, e.id as _sl_id
    from {{ cycle_batch }} b, json_each(b.payload, {{ streamleap._string_literal('$."' ~ (section | replace('\\', '\\\\') | replace('"', '\\"')) ~ '"') }}) e
    where b._sl_record_type = 'data' and json_type(b.payload, {{ streamleap._json_pointer([section]) }}) = 'OBJECT'
    {{- '\n    union all' if not loop.last }}
  {%- endfor %}
  ) all_values
  qualify row_number() over (partition by _sl_rec, section, field order by _sl_id) = 1
{%- endmacro %}
{% macro postgres__typed_each_value_sql(cycle_batch, sections) -%}
  {%- for section in sections %}
    {%- set s = streamleap._string_literal(section) %}
    select b._sl_rec, {{ s }}::text as section, e.key as field, e.value as t
    from {{ cycle_batch }} b
    cross join lateral jsonb_each_text(case when jsonb_typeof(b.payload -> {{ s }}) = 'object' then b.payload -> {{ s }} end) e
    where b._sl_record_type = 'data'
    {{- '\n    union all' if not loop.last }}
  {%- endfor %}
{%- endmacro %}

{#- dbt-redshift falls back to postgres__ macros: Redshift types a cycle's values per table
    (cycle_types_once) -#}
{% macro redshift__typed_each_value_sql(cycle_batch, sections) -%}
  {{ exceptions.raise_compiler_error('streamleap: a Redshift cycle checks and types its values per table (typed.sql)') }}
{%- endmacro %}

{#- The first value of an aggregate's group by ascending order. -#}
{% macro _first_by(value, order) -%}{{ return(adapter.dispatch('_first_by', 'streamleap')(value, order)) }}{%- endmacro %}
{% macro default___first_by(value, order) -%}(array_agg({{ value }} order by {{ order }}))[1]{%- endmacro %}
{% macro duckdb___first_by(value, order) -%}arg_min({{ value }}, {{ order }}){%- endmacro %}

{#- A value that fits, as canonical text (typed_value_from_text reads it back); the adjusted value
    of one that does not (streamleap_on_misfit 'adjust', adjust_value), as the same text. -#}
{% macro _canonical_text(col, t) -%}
  {%- set f = col.family -%}
  {%- if f == 'integer' -%}cast({{ streamleap.integer_value(col, t) }} as varchar)
  {%- elif f in ('string', 'super') -%}{{ t }}
  {%- elif f == 'binary' -%}{{ streamleap.re_replace_all(t, '^0x', '') }}
  {%- elif f == 'boolean' -%}case when {{ streamleap.converted_value(col, t) }} then 'true' else 'false' end
  {%- else -%}cast({{ streamleap.converted_value(col, t) }} as varchar)
  {%- endif -%}
{%- endmacro %}
{% macro _adjusted_text(col, t) -%}
  {%- if col.family == 'string' -%}{{ streamleap.cut_utf8(t, col.max_bytes or 65535) }}
  {%- elif col.family == 'binary' -%}case when {{ streamleap._binary_cuttable(t) }} then substr({{ streamleap.re_replace_all(t, '^0x', '') }}, 1, {{ 2 * (col.max_bytes or 1024000) }}) end
  {%- elif col.family == 'decimal' -%}cast({{ streamleap.round_decimal(col, t) }} as varchar)
  {%- else -%}cast(null as varchar)
  {%- endif -%}
{%- endmacro %}
{#- What adjust_value did, read off the adjusted text (as adjustment_text). -#}
{% macro _adjustment_note(col, v) -%}
  {%- if col.family == 'string' -%}'cut to {{ col.max_bytes or 65535 }} bytes'
  {%- elif col.family in ('binary', 'decimal') -%}
    case when {{ v }} is null then 'set to NULL' else '{{ ("cut to " ~ (col.max_bytes or 1024000) ~ " bytes") if col.family == "binary" else ("rounded to " ~ col.scale ~ " decimals") }}' end
  {%- else -%}'set to NULL'
  {%- endif -%}
{%- endmacro %}

{#- The canonical text v of a key value, as its typed values compare: a float's zero has one sign
    (0 = -0), hex digits one case. The other families' canonical texts are equal when their typed
    values are (string keys are VARCHAR on every target: no CHAR padding). -#}
{% macro _key_text(col, v) -%}
  {%- if col.family == 'float' -%}case when cast({{ v }} as float8) = 0 then '0' else {{ v }} end
  {%- elif col.family == 'binary' -%}lower({{ v }})
  {%- else -%}{{ v }}
  {%- endif -%}
{%- endmacro %}

{#- The typed value of a column from its canonical text v. -#}
{% macro typed_value_from_text(col, v, stream_schema) -%}
  {%- if col.family == 'binary' -%}{{ streamleap.hex_to_bytes(v) }}
  {%- elif col.family == 'super' -%}{{ streamleap.convert_json('payload', [], v, stream_schema) }}
  {%- else -%}cast({{ v }} as {{ streamleap.column_type(col) }})
  {%- endif -%}
{%- endmacro %}

{#- The cycle's values (see the top of this file): every value of the records of the stream's
    mirrored tables, checked and converted by its column's signature. -#}
{% macro typed_values_sql(stream_key, cycle_batch, catalog, stream_schema) -%}
{%- set r = streamleap._typed_relations() -%}
{%- set adjust = streamleap.on_misfit() == 'adjust' -%}
{%- set sigs = catalog.sigs.values() | list -%}
with each_value as {{ streamleap.materialized_cte() }}(
  {{ streamleap.typed_each_value_sql(cycle_batch, catalog.sections) }}
),
fitted as {{ streamleap.materialized_cte() }}(
  select b._sl_rec, b._sl_op, cols.mirror, cols.section, cols.pos, cols.key_index, cols.sig, cols.field as col_name, cols.type_name,
    each_value.t,
    case when each_value.t is null then true
    {%- for id, col in sigs %}
         when cols.sig = {{ id }} then {{ streamleap.value_check(col, 'each_value.t', stream_schema, 'b.payload', 'data') }}
    {%- endfor %}
    end as fits
  from {{ cycle_batch }} b
  join {{ r.columns }} cols on cols.stream = {{ streamleap._string_literal(stream_key) }} and cols.src_schema = b._sl_schema and cols.src_table = b._sl_table
  left join each_value on each_value._sl_rec = b._sl_rec and each_value.section = cols.section and each_value.field = cols.field
  where b._sl_record_type = 'data'
),
typed as (
  select _sl_rec, _sl_op, mirror, section, pos, key_index, sig, col_name, type_name, t, fits,
    {#- a delete's columns outside the key are not checked: NULL (change_batch_sql's _column_value) #}
    {%- if not sigs %}
    cast(null as varchar) as canon
    {%- else %}
    case when t is null or (key_index = 0 and _sl_op = 'delete') then null
         when fits then case
      {%- for id, col in sigs %}
           when sig = {{ id }} then {{ streamleap._canonical_text(col, 't') }}
      {%- endfor %}
         end
      {%- if adjust %}
         when key_index = 0 then case
        {%- for id, col in sigs %}
           when sig = {{ id }} then {{ streamleap._adjusted_text(col, 't') }}
        {%- endfor %}
         end
      {%- endif %}
    end as canon
    {%- endif %}
  from fitted
)
select _sl_rec, mirror, section, pos, key_index, col_name, type_name, canon,
  {#- a key value's text as the typed keys compare (typed_winners_sql ranks on it) #}
  case when key_index = 0 or canon is null then null
  {%- for id, col in sigs if col.family in ('float', 'binary') %}
       when sig = {{ id }} then {{ streamleap._key_text(col, 'canon') }}
  {%- endfor %}
       else canon end as key_canon,
  {%- if adjust and sigs %}
  case when section = 'data' and key_index = 0 and _sl_op <> 'delete' and t is not null and not fits then case
    {%- for id, col in sigs %}
       when sig = {{ id }} then {{ streamleap._adjustment_note(col, 'canon') }}
    {%- endfor %}
  end end as adjustment,
  {%- else %}
  cast(null as varchar) as adjustment,
  {%- endif %}
  {#- record_problem's order: the key's missing columns, then every column's value that does not
      fit (with 'adjust' only the key's), then the before-image's key #}
  case when section = 'data' and key_index > 0 and t is null then 'key column ' || col_name || ' is missing'
       when section = 'data' and t is not null and not fits and (key_index > 0{% if not adjust %} or _sl_op <> 'delete'{% endif %})
         then 'column ' || col_name || ': value does not fit ' || type_name
       when section <> 'data' and t is not null and not fits then 'before-image key column ' || col_name || ': value does not fit ' || type_name
  end as problem,
  case when section = 'data' and t is null then key_index when section = 'data' then 100000 + pos else 200000 + key_index end as problem_rank
from typed
{%- endmacro %}

{#- The cycle's judged records (see the top of this file): one row per record of a mirrored table
    and mirror, with the reason _reason_case gives it and its order key. -#}
{% macro typed_judged_sql(stream_key, cycle_batch, stream_schema=none) -%}
{%- set r = streamleap._typed_relations() -%}
select b._sl_rec, b.refresh_time, b.shard_id, b.sequence_number, b.partition_key, b._sl_schema, b._sl_table, b._sl_op, b._sl_record_type,
  claims.mirror, claims.first_claim,
  case when not b._sl_rule_ok then 'not valid JSON'
       when b._sl_record_type is null then 'no DMS metadata (metadata.record-type is missing)'
       when b._sl_record_type not in ('data', 'control') then {{ streamleap.record_type_reason('b._sl_record_type') }}
       when b._sl_record_type = 'data' then coalesce(b._sl_metadata_problem, problems.problem)
       when b._sl_record_type = 'control' then {{ streamleap.control_problem('b._sl_op', 'b._sl_commit_text', 'b._sl_ts_text', 'b._sl_trid', stream_schema) }}
  end as _sl_problem,
  case when b._sl_op = 'load' and b._sl_commit_text is null then '0' else '1' end
    || case when b._sl_commit_text is null then '00000000000000000000' else b._sl_time_digits end
    || lpad(coalesce(b._sl_trid, ''), 20, '0')
    || lpad(cast(length(b.sequence_number) as varchar), 3, '0') || b.sequence_number as _sl_order,
  b._sl_time_digits
from {{ cycle_batch }} b
join {{ r.claims }} claims on claims.stream = {{ streamleap._string_literal(stream_key) }} and claims.src_schema = b._sl_schema and claims.src_table = b._sl_table
left join (
  select _sl_rec, mirror, {{ streamleap._first_by('problem', 'problem_rank') }} as problem
  from {{ r['values'] }}
  where problem is not null
  group by _sl_rec, mirror
) problems on problems._sl_rec = b._sl_rec and problems.mirror = claims.mirror
{%- endmacro %}

{#- The cycle's winning changes (see the top of this file): per mirror and key, the newest change
    of the batch past the mirror's watermark (its state row, read here once for every mirror) by
    source order, as change_batch_sql's ranked rows: one row per record of a
    mirrored table that can be applied (no problem), and for a primary-key update a delete at the
    old key too (its before-image key, when whole and another). Keys are compared by their
    values' key texts (_key_text: equal when the typed values are), each length-prefixed, so
    that no two keys share one. Its values are text, by
    column position (v1 ... v<width>), typed by each mirror's own statements; its commit time and
    the end of the mirror's records in the batch (refresh_time) as the mirror's apply writes them. -#}
{% macro typed_winners_sql(stream_key, catalog) -%}
{%- set r = streamleap._typed_relations() -%}
{%- set width = catalog.width -%}
{%- set states = catalog.states.values() | list -%}
with pivoted as (
  select _sl_rec, mirror, section,
    {%- for j in range(1, width + 1) %}
    max(case when pos = {{ j }} then canon end) as v{{ j }},
    {%- endfor %}
    string_agg(cast(length(key_canon) as varchar) || ':' || key_canon, '|' order by key_index) as key_text,
    sum(case when key_index > 0 and key_canon is null then 1 else 0 end) as key_nulls
  from {{ r['values'] }}
  group by _sl_rec, mirror, section
),
ends as (
  {#- over every record of the mirror read, of any kind: its watermark moves past all of them #}
  select mirror, max(refresh_time) as batch_end from {{ r.judged }} group by mirror
),
marks as (
  {#- each mirror's watermark (the batch starts at the lowest of the stream's): a mirror applies
      only its records past it #}
  {#- and its newest truncate applied (apply_truncate_sql): a change at or before it never applies #}
  {%- if not states %}
  select cast(null as integer) as mirror, cast(null as timestamp) as watermark, cast(null as varchar(256)) as floor,
    cast(null as timestamp) as floor_at where 1 = 0
  {%- else %}
  select claims.mirror, max(st.watermark) as watermark, max(tr.truncated_order) as floor, max(tr.truncated_at) as floor_at
  from (select distinct mirror, model_key from {{ r.claims }} where stream = {{ streamleap._string_literal(stream_key) }}) claims
  left join (
  {%- for state in states %}
    select relation_name, watermark from {{ state }}{{ ' union all' if not loop.last }}
  {%- endfor %}
  ) st on st.relation_name = claims.model_key
  left join (
  {%- for state in states %}
    select relation_name, truncated_order, truncated_at from {{ streamleap.truncates_relation(state) }}{{ ' union all' if not loop.last }}
  {%- endfor %}
  ) tr on tr.relation_name = claims.model_key
  group by claims.mirror
  {%- endif %}
),
truncates as (
  {#- the truncate-table records of each mirror's tables that can be placed, past its watermark and
      its newest truncate applied #}
  select j.mirror, j.refresh_time, j._sl_order as o, j._sl_time_digits
  from {{ r.judged }} j
  left join marks on marks.mirror = j.mirror
  where j._sl_record_type = 'control' and j._sl_op = 'truncate-table' and j._sl_problem is null
    and (marks.watermark is null or j.refresh_time > marks.watermark)
    and (marks.floor is null or j._sl_order > marks.floor{% if catalog.history or catalog.soft %} or j.mirror in ({{ (catalog.history + catalog.soft) | join(', ') }}){% endif %})
),
changes as (
  select d.mirror, d.key_text, j.refresh_time, j._sl_op as op, j._sl_order as o, j._sl_time_digits
    {%- for j in range(1, width + 1) %}, d.v{{ j }}{% endfor %}
  from pivoted d
  join {{ r.judged }} j on j._sl_rec = d._sl_rec and j.mirror = d.mirror
  left join marks on marks.mirror = j.mirror
  where d.section = 'data' and j._sl_record_type = 'data' and j._sl_problem is null
    and (marks.watermark is null or j.refresh_time > marks.watermark)
    and (marks.floor is null or j._sl_order > marks.floor{% if catalog.history or catalog.soft %} or j.mirror in ({{ (catalog.history + catalog.soft) | join(', ') }}){% endif %}
         {#- a full-load record read after the truncate (truncate_floor_sql) #}
         or case when j._sl_op = 'load' and j._sl_problem is null then {{ streamleap._digits_to_timestamp('j._sl_time_digits') }} end > marks.floor_at)
  union all
  {#- a primary-key update also removes the row at its old key #}
  select b.mirror, b.key_text, j.refresh_time, 'delete', j._sl_order, j._sl_time_digits
    {%- for j in range(1, width + 1) %}, b.v{{ j }}{% endfor %}
  from pivoted b
  join pivoted d on d._sl_rec = b._sl_rec and d.mirror = b.mirror and d.section = 'data'
  join {{ r.judged }} j on j._sl_rec = b._sl_rec and j.mirror = b.mirror
  left join marks on marks.mirror = j.mirror
  where b.section <> 'data' and j._sl_op = 'update' and j._sl_record_type = 'data' and j._sl_problem is null
    and (marks.watermark is null or j.refresh_time > marks.watermark)
    and (marks.floor is null or j._sl_order > marks.floor{% if catalog.history or catalog.soft %} or j.mirror in ({{ (catalog.history + catalog.soft) | join(', ') }}){% endif %})
    and b.key_nulls = 0 and b.key_text <> d.key_text
),
{%- if catalog.history %}
historized as (
  {#- a history mirror's changes are known by their identity (history_order_sql) #}
  select changes.*, case when mirror in ({{ catalog.history | join(', ') }}) then {{ streamleap.history_order_sql('op', 'o', '_sl_time_digits') }} end as _sl_identity
  from changes
),
{%- endif %}
ranked as (
  select {{ 'historized' if catalog.history else 'changes' }}.*, row_number() over (partition by mirror, key_text order by o desc) as _sl_rank
  {%- if catalog.soft %},
    {#- a soft_delete mirror's newest change of a key that is not a delete: the values the key,
        if deleted in this batch, keeps (change_batch_sql) #}
    row_number() over (partition by mirror, key_text, case when op = 'delete' then 1 else 0 end order by o desc) as _sl_op_rank
  {%- endif %}
  {%- if catalog.history %},
    {#- a history mirror's every change, each once #}
    row_number() over (partition by mirror, key_text, _sl_identity order by o desc) as _sl_identity_rank
  {%- endif %}
  from {{ 'historized' if catalog.history else 'changes' }}
)
select ranked.mirror, ranked.refresh_time, cast(ranked.op as varchar(16)) as op,
  cast({{ 'coalesce(ranked._sl_identity, ranked.o)' if catalog.history else 'ranked.o' }} as varchar(256)) as o,
  {{ streamleap._digits_to_timestamp('ranked._sl_time_digits') }} as commit_ts, ends.batch_end
  {%- for j in range(1, width + 1) %}, ranked.v{{ j }}{% endfor %}
from ranked
join ends on ends.mirror = ranked.mirror
{%- if catalog.history %}
where (ranked.mirror in ({{ catalog.history | join(', ') }}) and ranked._sl_identity_rank = 1)
   or (ranked.mirror not in ({{ catalog.history | join(', ') }}) and ranked._sl_rank = 1)
{%- else %}
where ranked._sl_rank = 1
{%- endif %}
{%- if catalog.soft %}
   or (ranked.op <> 'delete' and ranked._sl_op_rank = 1 and ranked.mirror in ({{ catalog.soft | join(', ') }}))
{%- endif %}
union all
{#- each mirror's TRUNCATEs (apply_truncate_sql) #}
select truncates.mirror, truncates.refresh_time, cast('truncate' as varchar(16)),
  cast({% if catalog.history %}case when truncates.mirror in ({{ catalog.history | join(', ') }}) then substring(truncates.o, 1, 41) else truncates.o end{% else %}truncates.o{% endif %} as varchar(256)),
  {{ streamleap._digits_to_timestamp('truncates._sl_time_digits') }}, ends.batch_end
  {%- for j in range(1, width + 1) %}, cast(null as varchar){% endfor %}
from truncates
join ends on ends.mirror = truncates.mirror
{%- endmacro %}

{#- The statements of a cycle's batch that follow the batch itself: its values, judged records and
    winning changes, and the table its mirrors' applies count into. -#}
{% macro typed_batch_sql(stream_key, cycle_batch, catalog, stream_schema) -%}
  {%- set r = streamleap._typed_relations() -%}
  {%- set out = [streamleap._cycle_create_temp_sql(r['values'], streamleap.typed_values_sql(stream_key, cycle_batch, catalog, stream_schema))] -%}
  {%- do out.extend(streamleap._temp_statistics(r['values'])) -%}
  {%- do out.append(streamleap._cycle_create_temp_sql(r.judged, streamleap.typed_judged_sql(stream_key, cycle_batch, stream_schema))) -%}
  {%- do out.extend(streamleap._temp_statistics(r.judged)) -%}
  {%- do out.append(streamleap._cycle_create_temp_sql(r.winners, streamleap.typed_winners_sql(stream_key, catalog))) -%}
  {%- do out.extend(streamleap._temp_statistics(r.winners)) -%}
  {%- do out.append('create temporary table ' ~ r.applied ~ ' (state_name varchar(4096), model_key varchar(1024), applied_rows_now bigint, newest_commit_now timestamp)') -%}
  {{ return(out) }}
{%- endmacro %}

{#- Statistics of a temporary table just made, where the planner needs them. Postgres knows
    nothing of a new temporary table (autovacuum never analyzes one): a changed table's batch
    statement, joining the cycle's values and judged records of 500 records each, was planned as
    nested loops (190 ms; 5 ms once analyzed). DuckDB keeps its statistics as it writes. -#}
{% macro _temp_statistics(relation) -%}{{ return(adapter.dispatch('_temp_statistics', 'streamleap')(relation)) }}{%- endmacro %}
{% macro default___temp_statistics(relation) -%}{{ return([]) }}{%- endmacro %}
{% macro postgres___temp_statistics(relation) -%}{{ return(['analyze ' ~ relation]) }}{%- endmacro %}
{#- dbt-redshift falls back to postgres__ macros: Redshift types a cycle's values per table -#}
{% macro redshift___temp_statistics(relation) -%}{{ return([]) }}{%- endmacro %}

{#- At a cycle's finish, for one state table (state): the state rows of the mirrors that applied,
    made when missing, and what they applied. -#}
{% macro typed_state_sql(state) -%}
  {%- set r = streamleap._typed_relations() -%}
  {%- set name = streamleap._string_literal(state.render()) -%}
  {{ return([
    'insert into ' ~ state ~ ' (relation_name, watermark, fingerprint, updated_at)\nselect model_key, cast(null as timestamp), cast(null as varchar(4096)), '
      ~ dbt.current_timestamp() ~ '\nfrom ' ~ r.applied ~ '\nwhere state_name = ' ~ name
      ~ ' and not exists (select 1 from ' ~ state ~ ' where relation_name = model_key)',
    'update ' ~ state ~ '\nset applied_rows = applied_rows_now, newest_commit_ts = coalesce(newest_commit_now, newest_commit_ts)\nfrom '
      ~ r.applied ~ '\nwhere state_name = ' ~ name ~ ' and relation_name = model_key',
  ]) }}
{%- endmacro %}

{#- A mirror's piece of a cycle (as _cycle_mirror_piece): its batch of changes, its winning changes
    (typed_winners_sql) past its watermark that are newer than its row and its key's tombstone,
    typed, applied; its tombstones' part apart (apply_tombstones_sql), which the cycle runs when
    its winners hold a delete (typed_deleting_sql: a cycle's mirrors mostly take inserts and
    updates, and the two statements were a fifth of a changed table's cost on DuckDB). -#}
{% macro _cycle_typed_mirror_piece(node, spec, mirror_id) -%}
    {%- set target = streamleap._node_relation(node) -%}
    {%- set tomb = streamleap.tombstone_relation(target) -%}
    {%- set changes = streamleap._cycle_temp_relation(streamleap.suffixed_identifier(target.identifier, '__streamleap_cycle')) -%}
    {%- set r = streamleap._typed_relations() -%}
    {{ return({
      'model': node.name,
      'unique_id': node.unique_id,
      'tables': streamleap._spec_tables(spec),
      'apply': streamleap._cycle_create_temp_sql(changes, streamleap.typed_changes_sql(spec, target, tomb, mirror_id)) ~ ';\n'
               ~ streamleap.apply_batch_sql(target, changes, spec, in_cycle=true, applied=r.applied, tombstones=false),
      'id': mirror_id,
      'tombstones': streamleap.apply_tombstones_sql(target, changes, spec) if spec.mode == 'mirror' else '',
      'truncate': streamleap.apply_truncate_sql(target, changes, spec),
      'cleanup': '',
      'count': streamleap.typed_count_sql(target, changes),
      'drop': 'drop table ' ~ changes,
    }) }}
{%- endmacro %}

{#- The ids (typed_catalog) of the mirrors whose winning changes hold a delete. -#}
{% macro typed_deleting_sql() -%}
  {{ return('select distinct mirror from ' ~ streamleap._typed_relations().winners ~ " where op = 'delete'") }}
{%- endmacro %}

{#- What a mirror's batch of changes applied, as a SELECT: the cycle counts every changed mirror's
    batch in one statement (typed_counts_sql), after their applies, before its finish reads them. -#}
{% macro typed_count_sql(target, batch) -%}
select {{ streamleap._string_literal(streamleap.state_relation(target).render()) }}, {{ streamleap._string_literal(streamleap._relation_key(target)) }}, count(*), max(_streamleap_commit_ts)
from {{ batch }} where _streamleap_op <> 'truncate'
{%- endmacro %}

{#- The INSERT into the cycle's applied table that the changed mirrors' counts follow (joined by
    UNION ALL: typed_counts_sql here, the runner's run_cycle from the plan's count_into). -#}
{% macro typed_count_into_sql() -%}
  {{ return('insert into ' ~ streamleap._typed_relations().applied ~ ' (state_name, model_key, applied_rows_now, newest_commit_now)') }}
{%- endmacro %}

{#- The one statement that counts the changed mirrors' batches (their pieces' 'count') into the
    cycle's applied table; '' when none changed. -#}
{% macro typed_counts_sql(counts) -%}
  {%- if not counts %}{{ return('') }}{% endif -%}
  {{ return(streamleap.typed_count_into_sql() ~ '\n' ~ counts | join('\nunion all\n')) }}
{%- endmacro %}

{#- A mirror's batch of changes in a cycle (as change_batch_sql's): its winning changes (past its
    watermark: typed_winners_sql), typed, that are newer than its row and its key's tombstone
    (apply_batch_sql's first two deletes, here). Joins on the batch's keys only. -#}
{% macro typed_changes_sql(spec, target, tomb, mirror_id) -%}
{%- set q = streamleap.quote_ident -%}
{%- set w = streamleap._typed_relations().winners -%}
{%- set wn = q(w.identifier) -%}
{%- set tn = q(target.identifier) -%}
{%- set bn = q(tomb.identifier) -%}
{%- set names = spec.columns | map(attribute='name') | list -%}
{%- set key_value = {} -%}
{%- for c in spec.key %}{% do key_value.update({c.name: streamleap.typed_value_from_text(c, wn ~ '.v' ~ (names.index(c.name) + 1), spec.stream_schema)}) %}{% endfor -%}
select
  {%- for c in spec.columns %}
  {{ streamleap.typed_value_from_text(c, wn ~ '.v' ~ loop.index, spec.stream_schema) }} as {{ q(c.name) }},
  {%- endfor %}
  {%- if spec.mode == 'soft_delete' %}
  {#- a change older than its key's flagged row, newer than the values it keeps (soft_delete_late_values_sql) #}
  {%- set late = wn ~ ".op not in ('delete', 'truncate') and coalesce(" ~ tn ~ "._streamleap_deleted, false) and " ~ wn ~ ".o < " ~ tn
                 ~ "._streamleap_order and " ~ wn ~ ".o > coalesce(" ~ tn ~ "._streamleap_values_order, '')" %}
  cast(case when {{ late }} then 'values' else {{ wn }}.op end as varchar(16)) as _streamleap_op,
  {%- else %}
  {{ wn }}.op as _streamleap_op,
  {%- endif %}
  {{ wn }}.o as _streamleap_order, {{ wn }}.commit_ts as _streamleap_commit_ts, {{ wn }}.batch_end as _streamleap_synced_at
  {%- if spec.mode == 'soft_delete' %},
  {{ streamleap.soft_delete_flags_sql(wn ~ '.op', wn ~ '.commit_ts', wn ~ '.o') }}
  {%- endif %}
from {{ w }}
{%- if spec.mode == 'history' %}
{#- every change (the history's apply leaves out those it has: apply_history_sql) #}
where {{ wn }}.mirror = {{ mirror_id }}
{%- else %}
left join {{ target }} on {% for c in spec.key %}{{ tn }}.{{ q(c.name) }} = {{ key_value[c.name] }}{{ ' and ' if not loop.last }}{% endfor %}
left join {{ tomb }} on {% for c in spec.key %}{{ bn }}.{{ q(c.name) }} = {{ key_value[c.name] }}{{ ' and ' if not loop.last }}{% endfor %}
where {{ wn }}.mirror = {{ mirror_id }}
  and ({{ tn }}._streamleap_order is null or {{ wn }}.o > {{ tn }}._streamleap_order{% if spec.mode == 'soft_delete' %} or ({{ late }}){% endif %})
  and ({{ bn }}._streamleap_order is null or {{ wn }}.o > {{ bn }}._streamleap_order)
{%- endif %}
{%- endmacro %}

{#- The rows the set-aside model (relation) keeps of the mirrors' records, past its watermark, from
    the cycle's judged records and values: a row per record with a reason, and with
    streamleap_on_misfit 'adjust' a row per adjusted value (set_aside_from_checked_sql's rows). A
    record is judged by the first mirror of the stream that claims its table. -#}
{% macro typed_set_aside_rows_sql(relation, cycle_batch) -%}
{%- set r = streamleap._typed_relations() -%}
with judged as (
  select {{ r.judged }}.*, max(refresh_time) over (partition by mirror) as _streamleap_synced_at
  from {{ r.judged }}
  where first_claim and refresh_time > {{ streamleap.watermark_lookup_sql(relation) }}
)
select judged.refresh_time, cast(judged.shard_id as varchar(20)), cast(judged.sequence_number as varchar(128)), cast(judged.partition_key as varchar(256)),
  cast(judged._sl_schema as varchar(256)), cast(judged._sl_table as varchar(256)), cast(judged._sl_op as varchar(64)),
  cast(judged._sl_problem as varchar(1024)), cast(null as varchar(256)), false,
  {{ streamleap.record_bytes('b.payload', 'b.raw_data') }}, judged._streamleap_synced_at
from judged join {{ cycle_batch }} b on b._sl_rec = judged._sl_rec
where judged._sl_problem is not null
{%- if streamleap.on_misfit() == 'adjust' %}
union all
select judged.refresh_time, cast(judged.shard_id as varchar(20)), cast(judged.sequence_number as varchar(128)), cast(judged.partition_key as varchar(256)),
  cast(judged._sl_schema as varchar(256)), cast(judged._sl_table as varchar(256)), cast(judged._sl_op as varchar(64)),
  cast('column ' || v.col_name || ': value does not fit ' || v.type_name || '; adjusted: ' || v.adjustment as varchar(1024)),
  cast(v.col_name as varchar(256)), true,
  {{ streamleap.record_bytes('b.payload', 'b.raw_data') }}, judged._streamleap_synced_at
from judged
join {{ r['values'] }} v on v._sl_rec = judged._sl_rec and v.mirror = judged.mirror
join {{ cycle_batch }} b on b._sl_rec = judged._sl_rec
where judged._sl_problem is null and judged._sl_record_type = 'data' and v.adjustment is not null
{%- endif %}
{%- endmacro %}
