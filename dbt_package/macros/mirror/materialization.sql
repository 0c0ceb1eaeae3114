{#-
  materialized='streamleap_mirror': a mirror of one source table (docs/decisions/0020).

  A materialization of its own, shaped like dbt-adapters' table and incremental ones: it knows its
  relations (the mirror, its tombstones, its state row), and does what run_mode() decided once:
    nothing_new  returns at once: no temporary table, no introspection, no DDL (the decision was the
                 run's one query);
    build        CREATE TABLE AS the typed empty shape of the batch (with the adapter's options:
                 dist, sort, contract), swapping out an existing relation on --full-refresh as
                 dbt's table materialization does, then its tombstones and key indexes, and applies
                 everything the stream retains (initial_build_sql);
    backfill,    the batch (the model's SQL) into a temporary table; when the model changed since
    apply        the relation was last applied, the relation gets the new columns and wider types
                 (on_schema_change, append_new_columns by default); then the apply
                 (apply_changes_sql) in the model's transaction.
  Then grants, persist_docs and the post-hooks, as dbt's own materializations run them. The
  model's SQL (mirror_select) is the batch this run applies.

  A set-aside model generated before materialized='streamleap_set_aside' existed (config
  streamleap_set_aside under streamleap_mirror) is run as one.
-#}
{% materialization streamleap_mirror, default %}
  {%- set run = streamleap.run_mode() -%}
  {%- if run.model == 'set_aside' -%}
    {{ return(streamleap.materialize_streamleap_model(run, streamleap.set_aside_build_sql, streamleap.set_aside_apply_sql)) }}
  {%- endif -%}
  {{ return(streamleap.materialize_streamleap_model(run, streamleap.mirror_build_sql, streamleap.mirror_apply_sql)) }}
{% endmaterialization %}

{#- The steps every streamleap model's materialization takes; build_sql(target, run, batch_sql) and
    apply_sql(target, batch, run) are the model's own (the mirror's below, the set-aside model's in
    set_aside/materialization.sql). Must be called from a materialization (pre_hooks, sql). -#}
{% macro materialize_streamleap_model(run, build_sql, apply_sql) -%}
  {%- set target = this.incorporate(type='table') -%}
  {%- if run.mode == 'nothing_new' -%}
    {%- do store_raw_result(name='main', message='nothing new', code='OK', rows_affected='0') -%}
    {{ return({'relations': [target]}) }}
  {%- endif -%}
  {%- set existing = run.existing -%}
  {%- set grant_config = config.get('grants') -%}
  {%- set intermediate = make_intermediate_relation(target) -%}
  {%- set backup = make_backup_relation(target, existing.type if existing is not none else 'table') -%}
  {%- if run.replace -%}
    {#- left behind by a run that failed: before the transaction, as dbt's table materialization -#}
    {{ drop_relation_if_exists(load_cached_relation(intermediate)) }}
    {{ drop_relation_if_exists(load_cached_relation(backup)) }}
  {%- endif -%}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {#- the session's settings (session_setup: Postgres SET LOCAL) first in the model's transaction -#}
  {%- set setup = streamleap.session_setup() | trim -%}
  {%- if setup -%}
    {%- call statement('streamleap_session_setup', auto_begin=True) -%}{{ setup }}{%- endcall -%}
  {%- endif -%}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}

  {%- set to_drop = [] -%}
  {%- if run.mode == 'build' -%}
    {%- call statement('main') -%}
      {{ get_create_table_as_sql(False, intermediate if run.replace else target, streamleap.empty_shape_sql(sql)) }}
    {%- endcall -%}
    {%- if run.replace -%}
      {%- do adapter.rename_relation(existing, backup) -%}
      {%- do adapter.rename_relation(intermediate, target) -%}
      {%- do to_drop.append(backup) -%}
    {%- endif -%}
    {%- call statement('streamleap_build') -%}
      {{ build_sql(target, run, sql) }}
    {%- endcall -%}
  {%- else -%}
    {%- set batch = make_temp_relation(target) -%}
    {%- do run_query(get_create_table_as_sql(True, batch, sql)) -%}
    {%- call statement('main') -%}
      {{ apply_sql(target, batch, run) }}
    {%- endcall -%}
  {%- endif -%}

  {%- do apply_grants(target, grant_config, should_revoke=should_revoke(existing, run.mode == 'build')) -%}
  {%- do persist_docs(target, model) -%}
  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {%- do adapter.commit() -%}
  {%- for rel in to_drop %}{% do adapter.drop_relation(rel) %}{% endfor -%}
  {{ run_hooks(post_hooks, inside_transaction=False) }}
  {{ return({'relations': [target]}) }}
{%- endmacro %}

{#- The typed, empty shape of a batch: what a first build creates its table from. -#}
{% macro empty_shape_sql(batch_sql) -%}
select * from (
{{ batch_sql }}
) initial_build where 1 = 0
{%- endmacro %}

{#- A mirror's first build, after its table was made: its tombstones and its truncate mark (emptied:
    a rebuild forgets them), key indexes, and everything the stream retains (batch_sql) applied. spec: the model's
    (mirror_spec) when not given. -#}
{% macro mirror_build_sql(target, run, batch_sql, spec=none) -%}
  {%- set spec = spec or streamleap.mirror_spec() -%}
  {%- set batch = streamleap.initial_batch_relation(target) -%}
{{ streamleap.create_tombstones_sql(target, spec) }};
delete from {{ streamleap.tombstone_relation(target) }};
{{ streamleap.create_truncates_table_sql(target) }};
delete from {{ streamleap.truncates_relation(target) }} where relation_name = {{ streamleap._string_literal(streamleap._relation_key(target)) }};
{{ streamleap.key_indexes_sql(target, spec) }}
{{ streamleap.initial_build_sql(target, batch, batch_sql, streamleap.apply_changes_sql(target, batch, spec)) }}
{%- endmacro %}

{#- A mirror's apply of the batch in relation batch. When the model changed since the relation was
    last applied, the relation is brought to the model first, as dbt's incremental materialization
    does on every run: wider string types, and the new columns (on_schema_change, by default
    append_new_columns, that a backfill then fills in); and a number column whose type the model
    changed takes the model's type (column_type_changes_sql). -#}
{% macro mirror_apply_sql(target, batch, run) -%}
  {%- set spec = streamleap.mirror_spec() -%}
  {%- set modes = '' -%}
  {%- if run.config_changed -%}
    {%- do adapter.expand_target_column_types(from_relation=batch, to_relation=target) -%}
    {%- do process_schema_changes(incremental_validate_on_schema_change(config.get('on_schema_change'), default='append_new_columns'), batch, target) -%}
    {%- set relation_columns = adapter.get_columns_in_relation(target) -%}
    {%- set columns = relation_columns | map(attribute='name') | map('lower') | list -%}
    {%- set altered = streamleap.column_type_changes_sql(target, spec, relation_columns) -%}
    {%- set tomb = load_relation(streamleap.tombstone_relation(target)) -%}
    {%- if tomb is not none %}{% do altered.extend(streamleap.column_type_changes_sql(tomb, spec, adapter.get_columns_in_relation(tomb), key_only=true)) %}{% endif -%}
    {%- set modes = (altered + [streamleap.mode_change_sql(target, spec, columns) | trim]) | reject('equalto', '') | join(';\n') -%}
  {%- endif -%}
  {#- a TRUNCATE's statements read the whole mirror: only when the batch holds one -#}
  {%- set truncates = run_query('select count(*) from ' ~ batch ~ " where _streamleap_op = 'truncate'") -%}
  {{ return((modes ~ ';\n' if modes else '') ~ streamleap.apply_changes_sql(target, batch, spec, backfill=run.mode == 'backfill',
                                         store_fingerprint=run.config_changed, truncate=truncates.rows[0][0] > 0,
                                         state_row=not run.config_changed)) }}
{%- endmacro %}
