{#-
  streamleap_mode='history': one row per version of a source row (docs/decisions/0023).

  Every insert, update and full-load record of a key opens a version; the key's next change in
  source commit order closes it (its valid-to is that change's commit time), and when that change is a
  delete (a primary-key move's old key included) or a TRUNCATE, the closed version is flagged deleted.
  The columns are dbt snapshots' (valid-from, valid-to, scd id, updated-at, is-deleted), renamed by
  the model's config snapshot_meta_column_names as a snapshot's are, and an is-current flag.

  A version is known by its change's place in commit order without the Kinesis sequence number
  (history_order_sql): a re-delivered change is the same version, never a new one. A change that
  arrives after a newer one goes into its place: every version of the batch's keys ends at the
  next change of its key (the versions, and the deletes kept in the tombstones table), so the
  interval it falls into is split. Intervals only ever get shorter as changes arrive, so each
  version's end is the earliest of the ends it was given: a version is updated only when its end
  moves earlier. The apply reads the versions and deletes of the batch's keys only.
  TRUNCATEs are all kept (streamleap_truncates): a version ends at the first one after it.
-#}

{#- The history columns' names: dbt snapshots' defaults, renamed by snapshot_meta_column_names (a
    mapping with dbt's keys, and streamleap_is_current for the is-current flag). Keys: valid_from,
    valid_to, scd_id, updated_at, is_deleted, is_current. -#}
{% macro history_column_names(configured, source_names, model) -%}
  {%- set defaults = {'dbt_valid_from': 'dbt_valid_from', 'dbt_valid_to': 'dbt_valid_to', 'dbt_scd_id': 'dbt_scd_id',
                      'dbt_updated_at': 'dbt_updated_at', 'dbt_is_deleted': 'dbt_is_deleted',
                      'streamleap_is_current': '_streamleap_is_current'} -%}
  {%- set names = {} -%}{%- do names.update(defaults) -%}
  {%- if configured is not none and configured is not mapping -%}
    {{ exceptions.raise_compiler_error("model " ~ model ~ ": snapshot_meta_column_names must be a mapping such as {dbt_valid_from: valid_from}") }}
  {%- endif -%}
  {%- for k, v in (configured or {}).items() -%}
    {%- if k not in defaults -%}
      {{ exceptions.raise_compiler_error("model " ~ model ~ ": snapshot_meta_column_names has " ~ k ~ "; it takes " ~ defaults.keys() | list | join(', ')) }}
    {%- endif -%}
    {%- if v %}{% do names.update({k: v | string}) %}{% endif -%}
  {%- endfor -%}
  {%- set lowered = source_names | map('string') | map('lower') | list -%}
  {%- set seen = [] -%}
  {%- for k, v in names.items() -%}
    {%- if v | lower in lowered or v | lower in seen -%}
      {{ exceptions.raise_compiler_error("model " ~ model ~ ": history column " ~ v ~ " (" ~ k ~ ") is also a source column or another history column; rename it with snapshot_meta_column_names") }}
    {%- endif -%}
    {%- do seen.append(v | lower) -%}
  {%- endfor -%}
  {{ return({'valid_from': names.dbt_valid_from, 'valid_to': names.dbt_valid_to, 'scd_id': names.dbt_scd_id,
             'updated_at': names.dbt_updated_at, 'is_deleted': names.dbt_is_deleted, 'is_current': names.streamleap_is_current}) }}
{%- endmacro %}

{#- A history's columns after the source's and _streamleap_op/order/commit_ts/synced_at, in order:
    [name, SQL type]. _streamleap_to_order: the order of the change that closed the version. -#}
{% macro history_meta(spec) -%}
  {%- set h = spec.history -%}
  {{ return([[h.valid_from, 'timestamp'], [h.valid_to, 'timestamp'], [h.scd_id, 'varchar(32)'], [h.updated_at, 'timestamp'],
             [h.is_deleted, 'boolean'], [h.is_current, 'boolean'], ['_streamleap_to_order', 'varchar(256)']]) }}
{%- endmacro %}

{#- The history columns of a batch row (their shape on a first build; the apply writes them): a
    version opened at ts, current. -#}
{% macro history_shape_sql(spec, ts) -%}
  {%- set q = streamleap.quote_ident -%}
  {%- set h = spec.history -%}
{{ ts }} as {{ q(h.valid_from) }}, cast(null as timestamp) as {{ q(h.valid_to) }}, cast(null as varchar(32)) as {{ q(h.scd_id) }},
  {{ ts }} as {{ q(h.updated_at) }}, false as {{ q(h.is_deleted) }}, true as {{ q(h.is_current) }}, cast(null as varchar(256)) as _streamleap_to_order
{%- endmacro %}

{% macro history_nulls_sql(spec) -%}
  {%- set out = [] -%}
  {%- for name, type in streamleap.history_meta(spec) %}{% do out.append('cast(null as ' ~ type ~ ')') %}{% endfor -%}
  {{ out | join(', ') }}
{%- endmacro %}

{#- A change's identity in a history (SQL), from its operation op, order key o (change_batch_sql)
    and commit time digits: the order key without the Kinesis sequence number, so that every copy
    of a change has it. A full-load record's has its read time (a later snapshot is another
    version) and keeps the full-load phase first; a change without a commit time has only its
    sequence number to be told apart by, so it keeps the whole key. -#}
{% macro history_order_sql(op, o, digits) -%}
case when {{ op }} = 'load' and substring({{ o }}, 1, 1) = '0' then '0' || {{ digits }} || substring({{ o }}, 22, 20)
     when substring({{ o }}, 2, 20) = '00000000000000000000' then {{ o }}
     else substring({{ o }}, 1, 41) end
{%- endmacro %}

{#- A version's id (dbt_scd_id), stable whatever the batches: md5 of its key's values (each as
    length:text) and its change's identity. -#}
{% macro history_version_id_sql(spec, rel) -%}
  {%- set parts = [] -%}
  {%- for c in spec.key -%}
    {%- set t = 'cast(' ~ rel ~ '.' ~ streamleap.quote_ident(c.name) ~ ' as varchar(65535))' -%}
    {%- do parts.append('cast(length(' ~ t ~ ') as varchar(20)) || \':\' || ' ~ t) -%}
  {%- endfor -%}
md5({{ parts | join(" || '|' || ") }} || '|' || {{ rel }}._streamleap_order)
{%- endmacro %}

{#- A history's apply of a batch (change_batch_sql's rows, _streamleap_order the identity), inside
    apply_batch_sql: its changes the history has not seen enter it (versions; deletes into the
    tombstones table), and the versions of the batch's keys end at the next change of their key or
    the first truncate after them, when that is earlier than their end. The batch's own TRUNCATEs:
    apply_truncate_sql. count: the model's own run (record_applied_sql). -#}
{% macro apply_history_sql(target, batch, spec, count=true) -%}
{%- set q = streamleap.quote_ident -%}
{%- set h = spec.history -%}
{%- set tomb = streamleap.tombstone_relation(target) -%}
{%- set tr = streamleap.truncates_relation(target) -%}
{%- set tn = q(target.identifier) -%}
{%- set bn = q(batch.identifier) -%}
{%- set dn = q(tomb.identifier) -%}
{%- set trn = q(tr.identifier) -%}
{%- set rel_key = streamleap._string_literal(streamleap._relation_key(target)) -%}
{%- set keys = [] -%}{%- for c in spec.key %}{% do keys.append(q(c.name)) %}{% endfor -%}
{%- set values = spec.columns | map(attribute='name') | map('string') | list -%}
{%- set batch_keys = '(select distinct ' ~ keys | join(', ') ~ ' from ' ~ batch ~ " where _streamleap_op <> 'truncate') _sl_keys" -%}
delete from {{ batch }} using {{ target }}
where {{ streamleap._key_match(bn, tn, spec) }} and {{ bn }}._streamleap_order = {{ tn }}._streamleap_order
  and {{ bn }}._streamleap_op not in ('delete', 'truncate');
delete from {{ batch }} using {{ tomb }}
where {{ streamleap._key_match(bn, dn, spec) }} and {{ bn }}._streamleap_order = {{ dn }}._streamleap_order
  and {{ bn }}._streamleap_op = 'delete';
{%- if count %}
{{ streamleap.record_applied_sql(target, batch, "_streamleap_op in ('load', 'insert', 'update', 'delete')", '_streamleap_commit_ts') }};
{%- endif %}
insert into {{ tomb }} ({{ keys | join(', ') }}, _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at)
select {{ keys | join(', ') }}, _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at
from {{ batch }} where _streamleap_op = 'delete';
insert into {{ target }} ({% for c in values %}{{ q(c) }}, {% endfor %}_streamleap_op, _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at,
  {% for name, type in streamleap.history_meta(spec) %}{{ q(name) }}{{ ', ' if not loop.last }}{% endfor %})
select {% for c in values %}{{ bn }}.{{ q(c) }}, {% endfor %}{{ bn }}._streamleap_op, {{ bn }}._streamleap_order, {{ bn }}._streamleap_commit_ts, {{ bn }}._streamleap_synced_at,
  {{ bn }}._streamleap_commit_ts, cast(null as timestamp), {{ streamleap.history_version_id_sql(spec, bn) }}, {{ bn }}._streamleap_commit_ts,
  false, true, cast(null as varchar(256))
from {{ batch }} where {{ bn }}._streamleap_op not in ('delete', 'truncate');
{#- each version of the batch's keys ends at its key's next change (a version or a delete) #}
update {{ target }}
set {{ q(h.valid_to) }} = _sl_next._sl_next_ts, {{ q(h.is_deleted) }} = _sl_next._sl_next_deletes, {{ q(h.is_current) }} = false,
    _streamleap_to_order = _sl_next._sl_next_order
from (
  select {{ keys | join(', ') }}, _sl_o, _sl_next_order, _sl_next_ts, _sl_next_deletes from (
    select {{ keys | join(', ') }}, _sl_o, _sl_version,
      lead(_sl_o) over (partition by {{ keys | join(', ') }} order by _sl_o) as _sl_next_order,
      lead(_sl_ts) over (partition by {{ keys | join(', ') }} order by _sl_o) as _sl_next_ts,
      lead(_sl_deletes) over (partition by {{ keys | join(', ') }} order by _sl_o) as _sl_next_deletes
    from (
      select {% for k in keys %}{{ tn }}.{{ k }}, {% endfor %}{{ tn }}._streamleap_order as _sl_o, {{ tn }}.{{ q(h.valid_from) }} as _sl_ts,
        true as _sl_version, false as _sl_deletes
      from {{ target }}
      join {{ batch_keys }}
        on {{ streamleap._key_match(tn, '_sl_keys', spec) }}
      union all
      select {% for k in keys %}{{ dn }}.{{ k }}, {% endfor %}{{ dn }}._streamleap_order, {{ dn }}._streamleap_commit_ts, false, true
      from {{ tomb }}
      join {{ batch_keys }}
        on {{ streamleap._key_match(dn, '_sl_keys', spec) }}
    ) _sl_events
  ) _sl_ordered
  where _sl_version and _sl_next_order is not null
) _sl_next
where {{ streamleap._key_match(tn, '_sl_next', spec) }} and {{ tn }}._streamleap_order = _sl_next._sl_o
  and ({{ tn }}._streamleap_to_order is null or _sl_next._sl_next_order < {{ tn }}._streamleap_to_order
       {#- a truncate's end gives way to a version its own transaction opened after it (_history_truncate_sql) #}
       or (not _sl_next._sl_next_deletes and {{ tn }}.{{ q(h.is_deleted) }}
           and substring(_sl_next._sl_next_order, 1, 21) = substring({{ tn }}._streamleap_to_order, 1, 21)));
{#- the batch's new versions end at the first truncate after them kept from before (the batch's
    own: apply_truncate_sql) #}
{{ streamleap._history_truncate_sql(target, spec, batch) }}
{%- endmacro %}

{#- Versions end at the first truncate after them (unless they ended before): the batch's new
    versions against every truncate kept (batch given), or every version against the batch's
    truncates (batch_truncates given). A full-load version read after a truncate is not closed by it
    (truncate_floor_sql). Nor is a version that a change of the truncate's own commit time ends
    (phase and commit time, the first 21 characters of the order key): a transaction that
    truncated and inserted the key again, or a resync (its truncate at the snapshot's time, before
    the snapshot's rows: streamleap/capture/resync.py), replaced the row; it was never gone. -#}
{% macro _history_truncate_sql(target, spec, batch=none, batch_truncates=none) -%}
{%- set q = streamleap.quote_ident -%}
{%- set h = spec.history -%}
{%- set tr = streamleap.truncates_relation(target) -%}
{%- set tn = q(target.identifier) -%}
{%- set rel_key = streamleap._string_literal(streamleap._relation_key(target)) -%}
{%- set keys = [] -%}{%- for c in spec.key %}{% do keys.append(q(c.name)) %}{% endfor -%}
update {{ target }}
set {{ q(h.valid_to) }} = _sl_cut.truncated_at, {{ q(h.is_deleted) }} = true, {{ q(h.is_current) }} = false,
    _streamleap_to_order = _sl_cut.truncated_order
from (
  select {% for k in keys %}_sl_v.{{ k }}, {% endfor %}_sl_v._streamleap_order as _sl_o, min(_sl_t.truncated_order) as _sl_first
  from {{ target }} _sl_v
  {%- if batch is not none %}
  join {{ batch }} _sl_b on {{ streamleap._key_match('_sl_b', '_sl_v', spec) }} and _sl_b._streamleap_order = _sl_v._streamleap_order
    and _sl_b._streamleap_op not in ('delete', 'truncate')
  join {{ tr }} _sl_t on _sl_t.relation_name = {{ rel_key }}
  {%- else %}
  join (select _streamleap_order as truncated_order, _streamleap_commit_ts as truncated_at from {{ batch_truncates }} where _streamleap_op = 'truncate') _sl_t on 1 = 1
  {%- endif %}
    and _sl_t.truncated_order > _sl_v._streamleap_order
    and not (_sl_v._streamleap_op = 'load' and _sl_v.{{ q(h.valid_from) }} > _sl_t.truncated_at)
  group by {% for k in keys %}_sl_v.{{ k }}, {% endfor %}_sl_v._streamleap_order
) _sl_first
join (select distinct truncated_order, truncated_at from {{ tr }} where relation_name = {{ rel_key }}) _sl_cut on _sl_cut.truncated_order = _sl_first._sl_first
where {{ streamleap._key_match(tn, '_sl_first', spec) }} and {{ tn }}._streamleap_order = _sl_first._sl_o
  and ({{ tn }}._streamleap_to_order is null
       or (_sl_first._sl_first < {{ tn }}._streamleap_to_order
           and (substring(_sl_first._sl_first, 1, 21) <> substring({{ tn }}._streamleap_to_order, 1, 21) or {{ tn }}.{{ q(h.is_deleted) }})))
{%- endmacro %}

{#- A history's part of apply_truncate_sql: the batch's TRUNCATEs are kept (each once), and every
    version ends at the first of them after it. Reads the whole history, as a TRUNCATE does. -#}
{% macro history_truncate_sql(target, batch, spec) -%}
{%- set tr = streamleap.truncates_relation(target) -%}
{%- set trn = streamleap.quote_ident(tr.identifier) -%}
{%- set rel_key = streamleap._string_literal(streamleap._relation_key(target)) -%}
insert into {{ tr }} (relation_name, truncated_order, truncated_at, synced_at)
select distinct {{ rel_key }}, _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at from {{ batch }} _sl_b
where _sl_b._streamleap_op = 'truncate'
  and not exists (select 1 from {{ tr }} where {{ trn }}.relation_name = {{ rel_key }} and {{ trn }}.truncated_order = _sl_b._streamleap_order);
{{ streamleap._history_truncate_sql(target, spec, batch_truncates=batch) }}
{%- endmacro %}

{#- A mirror's change of mode to 'history' (mode_change_sql; its columns were added, NULL in the rows
    from before): each row becomes its key's current version, a soft_delete row flagged deleted a
    version closed by its delete (a flagged row with its key alone holds no version and goes, its
    delete kept); the deletes the tombstones keep are known by their identity; the key indexes
    (Postgres) become the history's. -#}
{% macro mode_to_history_sql(target, spec, columns) -%}
{%- set q = streamleap.quote_ident -%}
{%- set h = spec.history -%}
{%- set tomb = streamleap.tombstone_relation(target) -%}
{%- set keys = [] -%}{%- for c in spec.key %}{% do keys.append(q(c.name)) %}{% endfor -%}
{%- set zeros = "'00000000000000000000'" -%}
{%- set soft = '_streamleap_deleted' in columns -%}
{%- set identity = streamleap.history_order_sql('_streamleap_op', '_streamleap_order', streamleap._ts_digits('cast(_streamleap_commit_ts as varchar(64))')) -%}
update {{ tomb }} set _streamleap_order = substring(_streamleap_order, 1, 41)
where length(_streamleap_order) > 41 and substring(_streamleap_order, 2, 20) <> {{ zeros }};
{%- if soft %}
insert into {{ tomb }} ({{ keys | join(', ') }}, _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at)
select {{ keys | join(', ') }}, case when substring(_streamleap_order, 2, 20) <> {{ zeros }} then substring(_streamleap_order, 1, 41) else _streamleap_order end,
  _streamleap_deleted_at, _streamleap_synced_at
from {{ target }} where {{ q(h.is_current) }} is null and _streamleap_deleted;
delete from {{ target }} where {{ q(h.is_current) }} is null and _streamleap_deleted and _streamleap_values_order is null;
update {{ target }}
set _streamleap_to_order = case when substring(_streamleap_order, 2, 20) <> {{ zeros }} then substring(_streamleap_order, 1, 41) else _streamleap_order end,
    {{ q(h.valid_to) }} = _streamleap_deleted_at, {{ q(h.is_deleted) }} = true, {{ q(h.is_current) }} = false,
    _streamleap_op = case when substring(_streamleap_values_order, 1, 1) = '0' then 'load' else 'update' end,
    _streamleap_order = case when substring(_streamleap_values_order, 2, 20) <> {{ zeros }} then substring(_streamleap_values_order, 1, 41) else _streamleap_values_order end,
    {{ q(h.valid_from) }} = case when substring(_streamleap_values_order, 2, 20) <> {{ zeros }} then {{ streamleap._digits_to_timestamp('substring(_streamleap_values_order, 2, 20)') }} end,
    {{ q(h.updated_at) }} = case when substring(_streamleap_values_order, 2, 20) <> {{ zeros }} then {{ streamleap._digits_to_timestamp('substring(_streamleap_values_order, 2, 20)') }} end
where {{ q(h.is_current) }} is null and _streamleap_deleted;
{%- endif %}
update {{ target }}
set _streamleap_order = {{ identity }}, {{ q(h.valid_from) }} = _streamleap_commit_ts, {{ q(h.updated_at) }} = _streamleap_commit_ts,
    {{ q(h.valid_to) }} = cast(null as timestamp), {{ q(h.is_deleted) }} = false, {{ q(h.is_current) }} = true, _streamleap_to_order = cast(null as varchar(256))
where {{ q(h.is_current) }} is null;
update {{ target }} set {{ q(h.scd_id) }} = {{ streamleap.history_version_id_sql(spec, q(target.identifier)) }}
where {{ q(h.scd_id) }} is null;
{{ streamleap.key_indexes_sql(target, spec) }}
select 1
{%- endmacro %}

{#- A history's change of mode to 'mirror' or 'soft_delete' (mode_change_sql, before that mode's own
    part): each key keeps its current version or, when it has none and a delete closed its newest,
    that one (mode_change_sql makes it a flagged row or a tombstone); the tombstones keep each key's
    newest delete; the history columns stay, NULL from then on (a change back makes the rows current
    versions again). -#}
{% macro mode_from_history_sql(target, spec, columns) -%}
{%- set q = streamleap.quote_ident -%}
{%- set h = spec.history -%}
{%- set tomb = streamleap.tombstone_relation(target) -%}
{%- set tn = q(target.identifier) -%}
{%- set dn = q(tomb.identifier) -%}
delete from {{ tomb }} where exists (
  select 1 from {{ tomb }} _sl_newer where {{ streamleap._key_match('_sl_newer', dn, spec) }} and _sl_newer._streamleap_order > {{ dn }}._streamleap_order);
delete from {{ target }} where {{ q(h.is_current) }} is not null and not {{ q(h.is_current) }}
  and exists (select 1 from {{ target }} _sl_newer where {{ streamleap._key_match('_sl_newer', tn, spec) }} and _sl_newer._streamleap_order > {{ tn }}._streamleap_order);
{%- if spec.mode == 'soft_delete' %}
update {{ target }}
set _streamleap_deleted = not {{ q(h.is_current) }}, _streamleap_values_order = _streamleap_order,
    _streamleap_deleted_at = case when {{ q(h.is_current) }} then cast(null as timestamp) else {{ q(h.valid_to) }} end
where {{ q(h.is_current) }} is not null;
update {{ target }}
set _streamleap_op = 'delete', _streamleap_order = _streamleap_to_order, _streamleap_commit_ts = {{ q(h.valid_to) }}
where {{ q(h.is_current) }} is not null and not {{ q(h.is_current) }};
{%- else %}
delete from {{ target }} where {{ q(h.is_current) }} is not null and not {{ q(h.is_current) }};
{%- endif %}
update {{ target }} set {{ q(h.is_current) }} = cast(null as boolean) where {{ q(h.is_current) }} is not null;
{{ streamleap.key_indexes_sql(target, spec) }}
select 1
{%- endmacro %}
