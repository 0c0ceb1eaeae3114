{#-
  A mirror's apply: a batch of changes (one row per key, see change_batch_sql) applied to the
  mirror in the running transaction.

  Redshift MERGE cannot update and delete in one statement, so, like AWS's own CDC pattern,
  this is DELETE ... USING + INSERT:
    1. store the batch end as the watermark;
    2. drop from the batch every change that is not newer than what the mirror row or the
       key's tombstone already holds (a re-delivered old change never wins, not over a delete);
    3. delete the batch's keys from the mirror and from the tombstones;
    4. insert the upserts into the mirror and the deletes into the tombstones.
  Every statement joins on the batch's keys only: the cost grows with the batch, not the table.
  Called by the streamleap_mirror materialization (materialization.sql), by a `streamleap run`
  cycle (apply_batch_sql, cycle.sql) and by projects still on dbt's incremental materialization
  (legacy_incremental.sql).
-#}
{% macro tombstone_relation(relation) -%}
  {{ return(api.Relation.create(database=relation.database, schema=relation.schema, identifier=streamleap.suffixed_identifier(relation.identifier, '__streamleap_tombstones'), type='table')) }}
{%- endmacro %}

{#- The table that holds the first build's batch (a temporary table). -#}
{% macro initial_batch_relation(relation) -%}
  {%- set temp = make_temp_relation(relation, '__streamleap_initial') -%}
  {{ return(temp.incorporate(path={'identifier': streamleap.suffixed_identifier(relation.identifier, '__streamleap_initial')})) }}
{%- endmacro %}

{#- identifier ~ suffix, within the target's identifier limit in bytes: a name too long keeps the
    longest prefix (whole characters) that leaves room for '_' + 8 hex digits of its MD5 and the
    suffix, so two long names that share a prefix still get different relations. -#}
{% macro suffixed_identifier(identifier, suffix) -%}
  {%- set limit = streamleap._max_identifier_bytes() -%}
  {%- set full = identifier ~ suffix -%}
  {%- if limit is none or full.encode('utf-8') | length <= limit -%}{{ return(full) }}{%- endif -%}
  {%- set tag = '_' ~ local_md5(identifier)[:8] -%}
  {%- set ns = namespace(out='', room=limit - (tag ~ suffix).encode('utf-8') | length, full=false) -%}
  {%- for ch in identifier -%}
    {%- set n = ch.encode('utf-8') | length -%}
    {%- if not ns.full and n <= ns.room -%}
      {%- set ns.out = ns.out ~ ch -%}{%- set ns.room = ns.room - n -%}
    {%- else -%}
      {%- set ns.full = true -%}
    {%- endif -%}
  {%- endfor -%}
  {{ return(ns.out ~ tag ~ suffix) }}
{%- endmacro %}

{#- Longest identifier, in bytes, or none to leave names as they are. Redshift: "between 1 and 127
    bytes in length" (https://docs.aws.amazon.com/redshift/latest/dg/r_names.html); a longer name
    was an error there, so no existing table has another name. Postgres cuts a name at 63 bytes
    itself, deterministically: existing tombstone tables have those names, so they are kept (two
    mirrors whose names share their first 40 bytes would share tombstones there). DuckDB has no
    limit. -#}
{% macro _max_identifier_bytes() -%}{{ return(adapter.dispatch('_max_identifier_bytes', 'streamleap')()) }}{%- endmacro %}
{% macro default___max_identifier_bytes() -%}{{ return(none) }}{%- endmacro %}
{% macro redshift___max_identifier_bytes() -%}{{ return(127) }}{%- endmacro %}

{% macro _meta_columns(spec=none) -%}
  {%- set out = ['_streamleap_op', '_streamleap_order', '_streamleap_commit_ts', '_streamleap_synced_at'] -%}
  {%- if spec is not none and spec.mode == 'soft_delete' %}{% do out.extend(['_streamleap_deleted', '_streamleap_deleted_at', '_streamleap_values_order']) %}{% endif -%}
  {%- if spec is not none and spec.mode == 'history' %}{% for name, type in streamleap.history_meta(spec) %}{% do out.append(name) %}{% endfor %}{% endif -%}
  {{ return(out) }}
{%- endmacro %}

{#- A soft_delete mirror's flags of a change (its operation op, its commit time ts, its order key
    o, as SQL): deleted, when, and the order of the change whose values the row holds (a delete's
    row keeps those it had). -#}
{% macro soft_delete_flags_sql(op, ts, o) -%}
case when {{ op }} = 'delete' then true else false end as _streamleap_deleted,
  case when {{ op }} = 'delete' then {{ ts }} end as _streamleap_deleted_at,
  cast(case when {{ op }} not in ('delete', 'truncate') then {{ o }} end as varchar(256)) as _streamleap_values_order
{%- endmacro %}

{#- soft_delete: a change older than its key's flagged row but newer than the values the row keeps
    (a change delivered late, after the delete) becomes a 'values' change: the row takes its values,
    its flags stay. Before the batch's changes are judged against the mirror's rows. -#}
{% macro soft_delete_late_values_sql(target, batch, spec) -%}
{%- set bn = streamleap.quote_ident(batch.identifier) -%}
{%- set tn = streamleap.quote_ident(target.identifier) -%}
update {{ batch }} set _streamleap_op = 'values'
from {{ target }}
where {{ streamleap._key_match(bn, tn, spec) }} and coalesce({{ tn }}._streamleap_deleted, false)
  and {{ bn }}._streamleap_op not in ('delete', 'truncate')
  and {{ bn }}._streamleap_order < {{ tn }}._streamleap_order
  and {{ bn }}._streamleap_order > coalesce({{ tn }}._streamleap_values_order, '')
{%- endmacro %}

{% macro create_tombstones_sql(relation, spec) -%}
create table if not exists {{ streamleap.tombstone_relation(relation) }} (
  {%- for c in spec.key %}
  {{ streamleap.quote_ident(c.name) }} {{ streamleap.column_type(c) }},
  {%- endfor %}
  _streamleap_order varchar(256),
  _streamleap_commit_ts timestamp,
  _streamleap_synced_at timestamp
){{ streamleap.tombstone_table_options(spec) }}
{%- endmacro %}

{#- Redshift: every apply joins the tombstones on the mirror's key (DELETE ... USING), so they are
    distributed on its first column and sorted by the key, like the generated mirrors. DISTKEY takes
    one column; SORTKEY up to 400. A table built before keeps its distribution (ALTER TABLE ... ALTER
    DISTKEY / ALTER SORTKEY change it in place).
    https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_TABLE_NEW.html -#}
{% macro tombstone_table_options(spec) -%}{{ return(adapter.dispatch('tombstone_table_options', 'streamleap')(spec)) }}{%- endmacro %}
{% macro default__tombstone_table_options(spec) -%}{%- endmacro %}
{% macro redshift__tombstone_table_options(spec) -%}
{%- set cols = [] -%}{%- for c in spec.key %}{% do cols.append(streamleap.quote_ident(c.name)) %}{% endfor %}
diststyle key distkey ({{ cols[0] }}) compound sortkey ({{ cols | join(', ') }})
{%- endmacro %}

{% macro _key_match(left, right, spec) -%}
  {%- for c in spec.key -%}
    {{ left }}.{{ streamleap.quote_ident(c.name) }} = {{ right }}.{{ streamleap.quote_ident(c.name) }}{{ ' and ' if not loop.last }}
  {%- endfor -%}
{%- endmacro %}

{#- backfill: the mirror gained columns (backfill_sql; run_mode's 'backfill'). store_fingerprint:
    the model changed since the mirror was last applied (run_mode's config_changed): its state row
    takes the new fingerprint. -#}
{#- truncate: the batch may hold a TRUNCATE (its 'truncate' row): apply_truncate_sql follows.
    state_row: this run read the target's state row (run_mode: the stored fingerprint is this
    model's), so the state table and the row exist: neither is made again. -#}
{% macro apply_changes_sql(target, batch, spec, backfill=false, store_fingerprint=true, truncate=true, state_row=false) -%}
{%- if not state_row -%}
{{ streamleap.create_state_table_sql(target) }};
{% endif -%}
{{ streamleap.create_tombstones_sql(target, spec) }};
{{ streamleap.create_truncates_table_sql(target) }};
{{ streamleap.begin_atomic() }}
{{ streamleap.lock_state_sql(target) }}
{{ streamleap.apply_batch_sql(target, batch, spec, backfill, state_row=state_row) }}
{%- if truncate %};
{{ streamleap.apply_truncate_sql(target, batch, spec) }}
{%- endif %}
{%- if store_fingerprint %};
{{ streamleap.store_fingerprint_sql(target, streamleap.model_fingerprint(spec)) }}
{%- endif %}
{{- streamleap.end_atomic() }}
{%- endmacro %}

{#- The statements of an apply, inside a transaction someone else opens (and, on Redshift, that
    locked the state table): the model's (apply_changes_sql) or a `streamleap run` cycle's
    (cycle.sql). backfill: the mirror gained columns (backfill_sql). -#}
{#- in_cycle: the batch is a cycle's (change_batch_sql with checked=, no watermark row), whose finish
    moves every model's watermark: only the state row is made when missing. applied: a cycle whose
    values were typed once (typed.sql): the batch holds only changes newer than the mirror's rows
    and tombstones (typed_changes_sql), and what it applies is counted into this
    relation, from which the cycle's finish makes and updates the state rows of every mirror at
    once (typed_state_sql); the cycle counts the batch into it in one statement for every changed
    mirror (typed_counts_sql), not here. tombstones: false leaves out apply_tombstones_sql (the
    caller runs it when the batch holds a delete). state_row: the state row exists (apply_changes_sql). -#}
{% macro apply_batch_sql(target, batch, spec, backfill=false, in_cycle=false, applied=none, tombstones=true, state_row=false) -%}
{%- set q = streamleap.quote_ident -%}
{%- set tomb = streamleap.tombstone_relation(target) -%}
{%- set target_name = q(target.identifier) -%}
{%- set batch_name = q(batch.identifier) -%}
{%- set tomb_name = q(tomb.identifier) -%}
{%- set mirror_columns = (spec.columns | map(attribute='name') | map('string') | list) + streamleap._meta_columns(spec) -%}
{%- set by_row = applied is none and spec.mode == 'mirror' and streamleap._rows_by_id(mirror_columns) -%}
{#- every table is named by its own identifier, never an alias: a source table called b, m or t
    would otherwise meet one; the batch (<name>__dbt_tmp), the mirror and its tombstones never
    share an identifier -#}
{%- if applied is not none %}
{#- counted by the cycle (typed_counts_sql) #}
{%- elif in_cycle %}
{{ streamleap.ensure_state_row_sql(target) }};
{%- else %}
{{ streamleap.advance_watermark_sql(target, batch, ensure_row=not state_row) }};
delete from {{ batch }} where _streamleap_op = 'watermark';
{%- endif %}
{%- if backfill and spec.columns | length > spec.key | length %}
{{ streamleap.backfill_sql(target, batch, spec) }};
{%- endif %}
{%- if spec.mode == 'history' %}
{{ streamleap.apply_history_sql(target, batch, spec, count=applied is none) }}
{%- else %}
{%- if applied is none %}
{%- if spec.mode == 'soft_delete' %}
{{ streamleap.soft_delete_late_values_sql(target, batch, spec) }};
{%- endif %}
{%- if by_row %}
{{ streamleap.matched_rows_sql(target, batch, spec) }};
{%- else %}
delete from {{ batch }} using {{ target }}
where {{ streamleap._key_match(batch_name, target_name, spec) }} and {{ batch_name }}._streamleap_order <= {{ target_name }}._streamleap_order
{%- if spec.mode == 'soft_delete' %} and {{ batch_name }}._streamleap_op <> 'values'{% endif %};
{%- endif %}
delete from {{ batch }} using {{ tomb }}
where {{ streamleap._key_match(batch_name, tomb_name, spec) }} and {{ batch_name }}._streamleap_order <= {{ tomb_name }}._streamleap_order;
{%- if spec.mode == 'soft_delete' %}
{{ streamleap.soft_delete_below_floor_sql(target, batch, spec) }};
{%- else %}
{{ streamleap.truncate_floor_sql(target, batch) }};
{%- endif %}
{{ streamleap.record_applied_sql(target, batch, "_streamleap_op in ('load', 'insert', 'update', 'delete')", '_streamleap_commit_ts') }};
{%- elif spec.mode == 'soft_delete' %}
{{ streamleap.soft_delete_below_floor_sql(target, batch, spec) }};
{%- endif %}
{%- if spec.mode == 'soft_delete' %}
{{ streamleap.apply_soft_delete_sql(target, batch, spec) }}
{%- else %}
{%- if by_row %}
{{ streamleap.delete_matched_rows_sql(target, batch) }};
{%- else %}
delete from {{ target }} using {{ batch }}
where {{ streamleap._key_match(target_name, batch_name, spec) }};
{%- endif %}
insert into {{ target }} ({% for c in mirror_columns %}{{ q(c) }}{{ ', ' if not loop.last }}{% endfor %})
select {% for c in mirror_columns %}{{ q(c) }}{{ ', ' if not loop.last }}{% endfor %}
from {{ batch }} where _streamleap_op not in ('delete', 'truncate')
{%- endif %}
{%- if tombstones and spec.mode != 'soft_delete' %};
{{ streamleap.apply_tombstones_sql(target, batch, spec) }}
{%- endif %}
{%- endif %}
{%- endmacro %}

{#- A soft_delete mirror's apply (apply_batch_sql): the batch holds, per key, its newest change
    and, when that is a delete, also its newest change that is not (change_batch_sql): the values
    the deleted row keeps. The rows of the upserts are replaced; a delete flags the key's row
    (which then holds the batch's values, or those it had) and takes its order, so that the row
    keeps a late re-delivery out as a tombstone does; a key the mirror never held is kept with its
    key alone. -#}
{% macro apply_soft_delete_sql(target, batch, spec) -%}
{%- set q = streamleap.quote_ident -%}
{%- set target_name = q(target.identifier) -%}
{%- set batch_name = q(batch.identifier) -%}
{%- set mirror_columns = (spec.columns | map(attribute='name') | map('string') | list) + streamleap._meta_columns(spec) -%}
{%- set values = spec.columns | rejectattr('name', 'in', spec.key | map(attribute='name') | list) | list %}
{%- if values %}
update {{ target }}
set {% for c in values %}{{ q(c.name) }} = {{ batch_name }}.{{ q(c.name) }}, {% endfor %}_streamleap_values_order = {{ batch_name }}._streamleap_order
from {{ batch }}
where {{ streamleap._key_match(target_name, batch_name, spec) }} and {{ batch_name }}._streamleap_op = 'values';
{%- endif %}
delete from {{ target }} using {{ batch }}
where {{ streamleap._key_match(target_name, batch_name, spec) }} and {{ batch_name }}._streamleap_op not in ('delete', 'values');
insert into {{ target }} ({% for c in mirror_columns %}{{ q(c) }}{{ ', ' if not loop.last }}{% endfor %})
select {% for c in mirror_columns %}{{ q(c) }}{{ ', ' if not loop.last }}{% endfor %}
from {{ batch }} where _streamleap_op not in ('delete', 'truncate', 'values');
update {{ target }}
set _streamleap_op = {{ batch_name }}._streamleap_op, _streamleap_order = {{ batch_name }}._streamleap_order,
    _streamleap_commit_ts = {{ batch_name }}._streamleap_commit_ts, _streamleap_synced_at = {{ batch_name }}._streamleap_synced_at,
    _streamleap_deleted = true, _streamleap_deleted_at = {{ batch_name }}._streamleap_commit_ts
from {{ batch }}
where {{ streamleap._key_match(target_name, batch_name, spec) }} and {{ batch_name }}._streamleap_op = 'delete';
insert into {{ target }} ({% for c in mirror_columns %}{{ q(c) }}{{ ', ' if not loop.last }}{% endfor %})
select {% for c in mirror_columns %}{{ batch_name }}.{{ q(c) }}{{ ', ' if not loop.last }}{% endfor %}
from {{ batch }}
left join {{ target }} on {{ streamleap._key_match(batch_name, target_name, spec) }}
where {{ batch_name }}._streamleap_op = 'delete' and {{ target_name }}.{{ q(spec.key[0].name) }} is null
{%- endmacro %}

{#- The statements that give relation's number columns the model's types where they differ: the
    source's column changed type and `streamleap generate` followed it (an integer that became a
    bigint, a decimal of another precision or scale, one past Redshift's 38 digits now kept as
    text). dbt widens string types itself (expand_target_column_types) and leaves these alone; a
    value that fit the model's type but not the relation's then failed every later apply of the
    stream. relation_columns: the relation's (adapter.get_columns_in_relation); key_only: the
    model's key columns only (its tombstones). -#}
{% macro column_type_changes_sql(relation, spec, relation_columns, key_only=false) -%}
  {%- set have = {} -%}
  {%- for col in relation_columns -%}
    {%- do have.update({col.name | string | lower: streamleap._type_key(col.dtype, col.numeric_precision, col.numeric_scale)}) -%}
  {%- endfor -%}
  {%- set out = [] -%}
  {%- for c in (spec.key if key_only else spec.columns) if (c.name | string | lower) in have -%}
    {%- set old = have[c.name | string | lower] -%}
    {%- set new = streamleap._type_key(streamleap.column_type(c)) -%}
    {%- if old != new and (streamleap._is_exact_number(old) or streamleap._is_exact_number(new)) -%}
      {%- do out.append(streamleap.alter_column_type_sql(relation, c, old) | trim) -%}
    {%- endif -%}
  {%- endfor -%}
  {{ return(out) }}
{%- endmacro %}

{#- A column type as one lower-case text to compare: numeric is decimal, its precision and scale
    from the catalog's when the type's text has none (Postgres, Redshift). -#}
{% macro _type_key(text, precision=none, scale=none) -%}
  {%- set t = (text | string | lower | replace(' ', '')) -%}
  {%- if t.startswith('numeric') %}{% set t = 'decimal' ~ t[7:] %}{% endif -%}
  {%- if t == 'decimal' and precision is not none %}{% set t = 'decimal(' ~ precision ~ ',' ~ (scale or 0) ~ ')' %}{% endif -%}
  {{ return({'int': 'integer', 'int4': 'integer', 'int8': 'bigint', 'int2': 'smallint'}.get(t, t)) }}
{%- endmacro %}

{% macro _is_exact_number(key) -%}
  {{ return(key.startswith('decimal') or key in ['smallint', 'integer', 'bigint']) }}
{%- endmacro %}

{#- One column of relation to the model's type (c), its values cast. -#}
{% macro alter_column_type_sql(relation, c, old) -%}{{ return(adapter.dispatch('alter_column_type_sql', 'streamleap')(relation, c, old)) }}{%- endmacro %}
{% macro default__alter_column_type_sql(relation, c, old) -%}
  {%- set name = streamleap.quote_ident(c.name) -%}
  alter table {{ relation }} alter column {{ name }} type {{ streamleap.column_type(c) }} using cast({{ name }} as {{ streamleap.column_type(c) }})
{%- endmacro %}
{#- Postgres refuses to change the type of a column a view or rule uses: the views over the mirror
    (a user's, or a dbt model's) are named first, with what to do, instead of the server's error. -#}
{% macro postgres__alter_column_type_sql(relation, c, old) -%}
  {%- set lit = streamleap._string_literal -%}
  {%- set views = run_query(
    "select distinct n.nspname || '.' || v.relname from pg_depend d join pg_rewrite r on r.oid = d.objid"
    ~ " join pg_class v on v.oid = r.ev_class join pg_namespace n on n.oid = v.relnamespace"
    ~ " join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid"
    ~ " where d.classid = 'pg_rewrite'::regclass and d.refobjid = to_regclass(" ~ lit(relation.render()) ~ ")"
    ~ " and v.oid <> d.refobjid and a.attname = " ~ lit(c.name) ~ " order by 1") -%}
  {%- if views and views.rows | length > 0 -%}
    {{ exceptions.raise_compiler_error(relation ~ ': column ' ~ c.name ~ ' is ' ~ old | upper ~ ' in the warehouse and ' ~ streamleap.column_type(c)
       ~ ' in the model (the source column changed type), and Postgres cannot change the type of a column that a view uses: '
       ~ (views.columns[0].values() | join(', ')) ~ '. Drop the view(s), run again, then create them again') }}
  {%- endif -%}
  {{ return(streamleap.default__alter_column_type_sql(relation, c, old)) }}
{%- endmacro %}

{#- Redshift changes only a VARCHAR's length in place (ALTER COLUMN ... TYPE), and a column that is
    a distribution or sort key cannot be dropped: the mirror's owner decides. -#}
{% macro redshift__alter_column_type_sql(relation, c, old) -%}
  {{ exceptions.raise_compiler_error(relation ~ ': column ' ~ c.name ~ ' is ' ~ old | upper ~ ' in the warehouse and ' ~ streamleap.column_type(c)
     ~ ' in the model (the source column changed type); Redshift changes a column type in place only for VARCHAR: add a column of the new type, '
     ~ 'copy the values into it, drop the old column and rename the new one (ALTER TABLE ... ADD COLUMN, UPDATE, DROP COLUMN, RENAME COLUMN), then run again') }}
{%- endmacro %}

{#- A mirror's change of mode (mirror_apply_sql, when the model changed since it last applied):
    'soft_delete' from 'mirror': the keys of the tombstones become flagged rows (key alone) and the
    rows from before get the flag false; 'mirror' from 'soft_delete': the flagged rows become
    tombstones and leave the mirror (its flag columns stay, NULL from then on). columns: the
    relation's column names (lower case). -#}
{% macro mode_change_sql(target, spec, columns) -%}
{%- set q = streamleap.quote_ident -%}
{%- set tomb = streamleap.tombstone_relation(target) -%}
{%- set quoted = [] -%}{%- for c in spec.key %}{% do quoted.append(q(c.name)) %}{% endfor -%}
{%- set key_list = quoted | join(', ') -%}
{%- if spec.mode == 'history' -%}
{{ return(streamleap.mode_to_history_sql(target, spec, columns)) }}
{%- endif -%}
{%- set parts = [] -%}
{%- if spec.history.is_current | lower in columns %}{% do parts.append(streamleap.mode_from_history_sql(target, spec, columns) | trim) %}{% endif -%}
{%- set rest -%}
{%- if spec.mode == 'soft_delete' -%}
update {{ target }} set _streamleap_deleted = false, _streamleap_values_order = _streamleap_order where _streamleap_deleted is null;
{#- a key that came back has its row (its tombstone, older, was left behind: apply_tombstones_sql) #}
insert into {{ target }} ({{ key_list }}, _streamleap_op, _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at, _streamleap_deleted, _streamleap_deleted_at)
select {% for c in spec.key %}{{ q(tomb.identifier) }}.{{ q(c.name) }}, {% endfor %}'delete', {{ q(tomb.identifier) }}._streamleap_order, {{ q(tomb.identifier) }}._streamleap_commit_ts,
  {{ q(tomb.identifier) }}._streamleap_synced_at, true, {{ q(tomb.identifier) }}._streamleap_commit_ts
from {{ tomb }}
left join {{ target }} on {{ streamleap._key_match(q(tomb.identifier), q(target.identifier), spec) }}
where {{ q(target.identifier) }}.{{ q(spec.key[0].name) }} is null;
delete from {{ tomb }}
{%- elif '_streamleap_deleted' in columns -%}
insert into {{ tomb }} ({{ key_list }}, _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at)
select {{ key_list }}, _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at
from {{ target }} where _streamleap_deleted;
delete from {{ target }} where _streamleap_deleted
{%- endif -%}
{%- endset -%}
{%- if rest | trim %}{% do parts.append(rest | trim) %}{% endif -%}
{{ parts | join(';\n') }}
{%- endmacro %}

{#- DuckDB: a mirror's rows that the batch's keys match, found once by their row ids
    (matched_rows_sql), then judged and deleted by them (delete_matched_rows_sql), instead of two
    joins of the whole mirror on the key. A hash join reads every value of the columns it joins
    on: the "older than the mirror's row" check read every row's _streamleap_order (a long text);
    here only the key column is read whole, and a row's order and its deletion go by row id, which
    DuckDB looks up without reading the rest (docs/decisions/0028). Not for a table with a column
    named rowid (it would hide the row id), nor for soft_delete and history mirrors (their own
    statements). -#}
{% macro _rows_by_id(columns) -%}{{ return(adapter.dispatch('_rows_by_id', 'streamleap')(columns)) }}{%- endmacro %}
{% macro default___rows_by_id(columns) -%}{{ return(false) }}{%- endmacro %}
{% macro duckdb___rows_by_id(columns) -%}
  {{ return('rowid' not in (columns | map('lower') | list)) }}
{%- endmacro %}

{% macro _matched_rows_relation(batch) -%}
  {{ return(streamleap.quote_ident(streamleap.suffixed_identifier(batch.identifier, '__streamleap_matched'))) }}
{%- endmacro %}

{#- The batch's keys' rows in the mirror, by row id; and out of the batch, every change not newer
    than its key's row. The mirror is not written until delete_matched_rows_sql. -#}
{% macro matched_rows_sql(target, batch, spec) -%}
{%- set matched = streamleap._matched_rows_relation(batch) -%}
{%- set bn = streamleap.quote_ident(batch.identifier) -%}
{%- set tn = streamleap.quote_ident(target.identifier) -%}
create or replace temporary table {{ matched }} as
select {{ tn }}.rowid as _sl_mirror_row, {{ bn }}.rowid as _sl_batch_row
from {{ batch }} join {{ target }} on {{ streamleap._key_match(bn, tn, spec) }};
delete from {{ batch }} where rowid in (
  select _sl_matched._sl_batch_row
  from {{ matched }} _sl_matched
  join (
    select rowid as _sl_row, _streamleap_order from {{ target }}
    where rowid in (select _sl_mirror_row from {{ matched }})
  ) _sl_held on _sl_held._sl_row = _sl_matched._sl_mirror_row
  join (select rowid as _sl_row, _streamleap_order from {{ batch }}) _sl_change on _sl_change._sl_row = _sl_matched._sl_batch_row
  where _sl_change._streamleap_order <= _sl_held._streamleap_order
)
{%- endmacro %}

{#- The mirror's rows of the keys still in the batch (matched_rows_sql found them): gone, before
    the batch's upserts are inserted. -#}
{% macro delete_matched_rows_sql(target, batch) -%}
{%- set matched = streamleap._matched_rows_relation(batch) -%}
delete from {{ target }} where rowid in (
  select _sl_matched._sl_mirror_row from {{ matched }} _sl_matched
  where _sl_matched._sl_batch_row in (select rowid from {{ batch }})
);
drop table {{ matched }}
{%- endmacro %}

{#- The tombstones' part of an apply (apply_batch_sql): the batch's keys leave them, its deletes
    enter them. A `streamleap run` cycle runs it only for a mirror whose batch holds a delete: a
    tombstone older than its key's row is never read (every change must be newer than the row
    too), so the key's next delete replaces it. -#}
{% macro apply_tombstones_sql(target, batch, spec) -%}
{%- set q = streamleap.quote_ident -%}
{%- set tomb = streamleap.tombstone_relation(target) -%}
delete from {{ tomb }} using {{ batch }}
where {{ streamleap._key_match(q(tomb.identifier), q(batch.identifier), spec) }};
insert into {{ tomb }} ({% for c in spec.key %}{{ q(c.name) }}, {% endfor %}_streamleap_order, _streamleap_commit_ts, _streamleap_synced_at)
select {% for c in spec.key %}{{ q(c.name) }}, {% endfor %}_streamleap_order, _streamleap_commit_ts, _streamleap_synced_at
from {{ batch }} where _streamleap_op = 'delete'
{%- endmacro %}

{#- After `streamleap generate` added columns to a mirror (dbt appended them, empty): every mirror
    row whose latest change is still in the stream (the batch holds the whole retained stream, one
    row per key, see mirror_select) takes its values from that change's payload, the new columns
    included. The other columns get the values they already hold: same change, same values. -#}
{% macro backfill_sql(target, batch, spec) -%}
{%- set q = streamleap.quote_ident -%}
{%- set b = q(batch.identifier) -%}
update {{ target }}
set {% for c in spec.columns if c not in spec.key %}{{ q(c.name) }} = {{ b }}.{{ q(c.name) }}{{ ', ' if not loop.last }}{% endfor %}
from {{ batch }}
where {{ streamleap._key_match(q(target.identifier), b, spec) }}
  and {{ q(target.identifier) }}._streamleap_order = {{ b }}._streamleap_order and {{ b }}._streamleap_op <> 'delete'
{%- endmacro %}

{#- Postgres: every apply joins the mirror and its tombstones on the key; a unique index on it
    keeps that to the batch's keys. DuckDB hash-joins column segments (an ART index would slow
    every insert); Redshift has no indexes (the mirror's dist/sort keys play that part). -#}
{% macro key_indexes_sql(relation, spec) -%}{{ return(adapter.dispatch('key_indexes_sql', 'streamleap')(relation, spec)) }}{%- endmacro %}
{% macro default__key_indexes_sql(relation, spec) -%}{%- endmacro %}
{#- dbt-redshift falls back to postgres__ macros: Redshift has no indexes -#}
{% macro redshift__key_indexes_sql(relation, spec) -%}{%- endmacro %}
{% macro postgres__key_indexes_sql(relation, spec) -%}
{%- set cols = [] -%}{%- for c in spec.key %}{% do cols.append(streamleap.quote_ident(c.name)) %}{% endfor -%}
{#- a history holds a row per version of a key, its tombstones every delete of it #}
{%- if spec.mode == 'history' %}{% do cols.append('_streamleap_order') %}{% endif -%}
{%- for rel in [relation, streamleap.tombstone_relation(relation)] %}
{%- set index = streamleap.quote_ident(streamleap.suffixed_identifier(rel.identifier, '__streamleap_key')) %}
{#- a --full-refresh leaves the old table's index (same name) until the backup is dropped #}
drop index if exists {{ streamleap.quote_ident(rel.schema) }}.{{ index }};
create unique index {{ index }} on {{ rel }} ({{ cols | join(', ') }});
{%- endfor %}
{%- endmacro %}

{#- Shared by the first build of mirrors and set-aside models: forget the stored watermark, stage
    everything the stream retains as one batch, apply it with the model's own apply macro. -#}
{% macro initial_build_sql(relation, batch, batch_sql, apply_sql) -%}
{{ streamleap.create_state_table_sql(relation) }};
{{ streamleap.locked_state_sql(relation, 'delete from ' ~ streamleap.state_relation(relation) ~ ' where relation_name = ' ~ streamleap._string_literal(streamleap._relation_key(relation))) }};
drop table if exists {{ batch }};
{{ get_create_table_as_sql(True, batch, batch_sql) }};
{{ apply_sql }};
drop table if exists {{ batch }}
{%- endmacro %}

{#- Count what this run applies (rows left in the batch that match `condition`) and keep the
    newest source commit time applied. -#}
{% macro record_applied_sql(target, batch, condition, commit_column=none) -%}
update {{ streamleap.state_relation(target) }}
set applied_rows = (select count(*) from {{ batch }} where {{ condition }})
{%- if commit_column %},
    newest_commit_ts = coalesce((select max({{ commit_column }}) from {{ batch }} where {{ condition }}), newest_commit_ts)
{%- endif %}
where relation_name = {{ streamleap._string_literal(streamleap._relation_key(target)) }}
{%- endmacro %}

{#- Store the batch's end as the model's watermark (the batch holds it in _streamleap_synced_at).
    ensure_row: make the state row first when missing. -#}
{% macro advance_watermark_sql(target, batch, ensure_row=true) -%}
{%- set state = streamleap.state_relation(target) -%}
{%- set key = streamleap._string_literal(streamleap._relation_key(target)) -%}
{%- if ensure_row -%}
{{ streamleap.ensure_state_row_sql(target) }};
{% endif -%}
update {{ state }}
set watermark = coalesce((select max(_streamleap_synced_at) from {{ batch }}), watermark),
    updated_at = {{ dbt.current_timestamp() }}
where relation_name = {{ key }}
{%- endmacro %}

{#- The target's state row, made when missing (its watermark NULL: nothing applied yet). -#}
{% macro ensure_state_row_sql(target) -%}
{%- set state = streamleap.state_relation(target) -%}
{%- set key = streamleap._string_literal(streamleap._relation_key(target)) -%}
insert into {{ state }} (relation_name, watermark, fingerprint, updated_at)
select {{ key }}, cast(null as timestamp), cast(null as varchar(4096)), {{ dbt.current_timestamp() }}
where not exists (select 1 from {{ state }} where relation_name = {{ key }})
{%- endmacro %}

{#- A source TRUNCATE (docs: README "Modes"): each schema's streamleap_truncates holds, per mirror,
    its newest truncate applied; a change at or before it never applies (a late shard or a
    re-delivery brings back nothing the truncate removed), whatever batch it comes in. -#}
{% macro truncates_relation(schema_relation) -%}
  {{ return(api.Relation.create(database=schema_relation.database, schema=schema_relation.schema, identifier='streamleap_truncates', type='table')) }}
{%- endmacro %}

{% macro create_truncates_table_sql(schema_relation) -%}
create table if not exists {{ streamleap.truncates_relation(schema_relation) }} (
  relation_name varchar(1024),
  truncated_order varchar(256),
  truncated_at timestamp,
  synced_at timestamp
)
{%- endmacro %}

{#- Out of the batch: every change at or before the mirror's newest truncate applied before. A
    full-load record orders before every change; one read after the truncate (its timestamp, the
    batch's _streamleap_commit_ts of a load, is later: a new snapshot) is no change before it. -#}
{% macro truncate_floor_sql(target, batch) -%}
{%- set tr = streamleap.truncates_relation(target) -%}
{%- set tn = streamleap.quote_ident(tr.identifier) -%}
{%- set bn = streamleap.quote_ident(batch.identifier) -%}
delete from {{ batch }} using {{ tr }}
where {{ tn }}.relation_name = {{ streamleap._string_literal(streamleap._relation_key(target)) }}
  and {{ bn }}._streamleap_order <= {{ tn }}.truncated_order
  and not ({{ bn }}._streamleap_op = 'load' and {{ bn }}._streamleap_commit_ts > {{ tn }}.truncated_at)
{%- endmacro %}

{#- soft_delete, instead of the truncate floor: a key's newest change in the batch that is not
    newer than a truncate applied before (its row does not hold it: older ones left the batch) is
    not dropped but put in its place. A delete stays (a key the mirror never held is kept flagged,
    with its key alone); an insert or update gets a delete at the first truncate after it (kept or
    in this batch), so the row takes its values and is flagged at that truncate. A full-load record
    read after the truncate is not before it (truncate_floor_sql). -#}
{% macro soft_delete_below_floor_sql(target, batch, spec) -%}
{%- set q = streamleap.quote_ident -%}
{%- set tr = streamleap.truncates_relation(target) -%}
{%- set key = streamleap._string_literal(streamleap._relation_key(target)) -%}
{%- set keys = [] -%}{%- for c in spec.key %}{% do keys.append(q(c.name)) %}{% endfor -%}
{#- the truncates kept and the batch's own -#}
{%- set every_truncate = 'select truncated_order, truncated_at from ' ~ tr ~ ' where relation_name = ' ~ key
    ~ '\n    union all\n    select _streamleap_order, _streamleap_commit_ts from ' ~ batch ~ " where _streamleap_op = 'truncate'" -%}
insert into {{ batch }} ({{ keys | join(', ') }}, _streamleap_op, _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at,
  _streamleap_deleted, _streamleap_deleted_at, _streamleap_values_order)
select {% for k in keys %}_sl_cut.{{ k }}, {% endfor %}'delete', _sl_t.truncated_order, _sl_t.truncated_at, _sl_cut._streamleap_synced_at,
  true, _sl_t.truncated_at, cast(null as varchar(256))
from (
  select {% for k in keys %}_sl_b.{{ k }}, {% endfor %}_sl_b._streamleap_synced_at, min(_sl_all.truncated_order) as _sl_first
  from {{ batch }} _sl_b
  join (
    select {{ keys | join(', ') }}, max(_streamleap_order) as _sl_newest from {{ batch }}
    where _streamleap_op not in ('truncate', 'watermark') group by {{ keys | join(', ') }}
  ) _sl_n on {{ streamleap._key_match('_sl_n', '_sl_b', spec) }} and _sl_b._streamleap_order = _sl_n._sl_newest
  join (
    {{ every_truncate }}
  ) _sl_all on _sl_all.truncated_order > _sl_b._streamleap_order
    and not (_sl_b._streamleap_op = 'load' and _sl_b._streamleap_commit_ts > _sl_all.truncated_at)
  where _sl_b._streamleap_op not in ('delete', 'truncate', 'watermark', 'values')
    and _sl_b._streamleap_order <= (select max(truncated_order) from {{ tr }} where relation_name = {{ key }})
  group by {% for k in keys %}_sl_b.{{ k }}, {% endfor %}_sl_b._streamleap_synced_at
) _sl_cut
join (
  select truncated_order, max(truncated_at) as truncated_at from (
    {{ every_truncate }}
  ) _sl_u group by truncated_order
) _sl_t on _sl_t.truncated_order = _sl_cut._sl_first
{%- endmacro %}

{#- After an apply whose batch holds a TRUNCATE (its 'truncate' rows, one per truncate;
    change_batch_sql already deleted at it every key of the batch it closes): the rows older than it
    go ('mirror'; with the tombstones it makes needless) or are flagged ('soft_delete': deleted at
    the commit time of the first truncate after their change), and the newest becomes the
    mirror's newest truncate. Reads the whole mirror, as a
    TRUNCATE does: run only when the batch holds one. -#}
{% macro apply_truncate_sql(target, batch, spec) -%}
{%- set tr = streamleap.truncates_relation(target) -%}
{%- set key = streamleap._string_literal(streamleap._relation_key(target)) -%}
{%- set bn = streamleap.quote_ident(batch.identifier) -%}
{%- set tn = streamleap.quote_ident(target.identifier) -%}
{%- set newest = '(select max(_streamleap_order) from ' ~ batch ~ " where _streamleap_op = 'truncate')" -%}
{%- if spec.mode == 'history' %}
{{ return(streamleap.history_truncate_sql(target, batch, spec)) }}
{%- endif %}
{%- if spec.mode == 'soft_delete' %}
{#- each row by the first truncate after its change: the batch's truncates as intervals #}
update {{ target }}
set _streamleap_op = 'delete', _streamleap_order = _sl_truncates._streamleap_order, _streamleap_commit_ts = _sl_truncates._streamleap_commit_ts,
    _streamleap_synced_at = _sl_truncates._streamleap_synced_at, _streamleap_deleted = true,
    _streamleap_deleted_at = _sl_truncates._streamleap_commit_ts
from (
  select _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at,
    lag(_streamleap_order) over (order by _streamleap_order) as _sl_previous
  from {{ batch }} where _streamleap_op = 'truncate'
) _sl_truncates
where {{ tn }}._streamleap_order < _sl_truncates._streamleap_order
  and (_sl_truncates._sl_previous is null or {{ tn }}._streamleap_order > _sl_truncates._sl_previous)
  and not coalesce({{ tn }}._streamleap_deleted, false)
  and not ({{ tn }}._streamleap_op = 'load' and {{ tn }}._streamleap_commit_ts > _sl_truncates._streamleap_commit_ts);
{%- else %}
{#- a row of a snapshot read after the truncate stays (truncate_floor_sql) #}
delete from {{ target }} where _streamleap_order < {{ newest }}
  and not (_streamleap_op = 'load' and _streamleap_commit_ts > (select max(_streamleap_commit_ts) from {{ batch }} where _streamleap_op = 'truncate'));
delete from {{ streamleap.tombstone_relation(target) }} where _streamleap_order < {{ newest }};
{%- endif %}
{%- if spec.mode == 'soft_delete' %}
{#- every truncate: a change from before one that arrives after it is flagged at it (soft_delete_below_floor_sql) #}
insert into {{ tr }} (relation_name, truncated_order, truncated_at, synced_at)
select distinct {{ key }}, _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at from {{ batch }} _sl_b
where _sl_b._streamleap_op = 'truncate'
  and not exists (select 1 from {{ tr }} where {{ streamleap.quote_ident(tr.identifier) }}.relation_name = {{ key }}
                  and {{ streamleap.quote_ident(tr.identifier) }}.truncated_order = _sl_b._streamleap_order)
{%- else %}
delete from {{ tr }} where relation_name = {{ key }} and exists (select 1 from {{ batch }} where _streamleap_op = 'truncate');
insert into {{ tr }} (relation_name, truncated_order, truncated_at, synced_at)
select {{ key }}, _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at from {{ batch }}
where _streamleap_op = 'truncate' and _streamleap_order = {{ newest }}
{%- endif %}
{%- endmacro %}
