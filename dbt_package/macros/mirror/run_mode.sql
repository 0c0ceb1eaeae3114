{#-
  What a run of a mirror or set-aside model does, decided once (docs/decisions/0020).

  run_mode() returns one record, the same for every caller in a dbt invocation: the model's SQL
  (mirror_select, set_aside_select), its materialization (streamleap_mirror, streamleap_set_aside)
  and, for projects still on materialized='incremental', the strategy and post-hooks
  (legacy_incremental.sql). Its fields:

    model             'mirror' | 'set_aside'
    mode              'nothing_new'  nothing past the watermark, the relation as last applied:
                                     the materialization returns at once (the one query below);
                      'build'        no relation yet, or --full-refresh, or not a table: build it,
                                     then apply everything the stream retains;
                      'backfill'     the mirror lacks columns of its model (`streamleap generate`
                                     added them): add them, apply the whole retained stream, filling
                                     them in rows whose latest change is still there;
                      'apply'        apply the changes past the watermark.
    existing          the relation as the warehouse has it (none when missing)
    replace           build mode over an existing relation (swapped out, as dbt's table
                      materialization does)
    fingerprint       what this run applies with (model_fingerprint)
    config_changed    the state row's fingerprint is not this one (or there is none): the run
                      compares the relation with the model (new columns, wider types) and stores
                      the new fingerprint; otherwise neither
    new_columns       the model's columns the relation lacks (backfill)

  It costs, for a built model, one query (the state row's fingerprint and whether any record is
  past its watermark), plus one look at the relation's columns when the fingerprint differs. The
  record is kept with the node in the flat graph for this invocation (the model's SQL is rendered
  before the materialization runs, in another context of the same node).
-#}
{% macro run_mode() -%}
  {%- set node = graph.nodes.get(model.unique_id) if model is mapping and model.get('unique_id') else none -%}
  {%- set kept = node.get('_streamleap_run_mode') if node is not none else none -%}
  {%- if kept is not none and kept.invocation_id == invocation_id -%}
    {{ return(kept.run) }}
  {%- endif -%}
  {%- set run = streamleap._decide_run_mode() -%}
  {%- if node is not none -%}
    {%- do node.update({'_streamleap_run_mode': {'invocation_id': invocation_id, 'run': run}}) -%}
  {%- endif -%}
  {{ return(run) }}
{%- endmacro %}

{#- 'mirror' or 'set_aside': a set-aside model is materialized='streamleap_set_aside'; one generated
    before that materialization existed says streamleap_set_aside={...} under streamleap_mirror or
    incremental. -#}
{% macro model_kind() -%}
  {{ return('set_aside' if model.config.materialized == 'streamleap_set_aside' or config.get('streamleap_set_aside') else 'mirror') }}
{%- endmacro %}

{% macro _decide_run_mode() -%}
  {%- set kind = streamleap.model_kind() -%}
  {%- set spec = streamleap.mirror_spec() if kind == 'mirror' else none -%}
  {%- set existing = load_relation(this) -%}
  {%- set run = {'model': kind, 'mode': 'apply', 'existing': existing, 'replace': false,
                 'fingerprint': streamleap.model_fingerprint(spec), 'config_changed': true, 'new_columns': []} -%}
  {%- if kind == 'mirror' and should_full_refresh() and existing is not none and not streamleap._allow_rebuild() -%}
    {{ exceptions.raise_compiler_error("mirror " ~ this ~ ": refusing --full-refresh: a rebuild re-applies only what the stream still retains, so rows whose changes have expired would be lost. If the stream still holds the full load, run again with --vars '{streamleap_allow_stream_rebuild: true}'.") }}
  {%- endif -%}
  {%- if existing is none or existing.type != 'table' or should_full_refresh() -%}
    {%- do run.update({'mode': 'build', 'replace': existing is not none}) -%}
    {{ return(run) }}
  {%- endif -%}
  {#- dbt's incremental materialization (projects generated before streamleap_mirror) has no
      nothing-new path and never knew the fingerprint: its runs always compare the columns -#}
  {%- if model.config.materialized != 'incremental' -%}
    {%- set stored = streamleap._stored_state(streamleap.staging_of_model()) -%}
    {%- if stored.fingerprint == run.fingerprint -%}
      {%- do run.update({'mode': 'apply' if stored.anything_new else 'nothing_new', 'config_changed': false}) -%}
      {{ return(run) }}
    {%- endif -%}
  {%- endif -%}
  {%- if kind == 'mirror' -%}
    {%- set changes = streamleap.mirror_changes(spec, existing) -%}
    {%- do run.update({'new_columns': changes.added, 'mode': 'backfill' if changes.added else 'apply'}) -%}
  {%- endif -%}
  {{ return(run) }}
{%- endmacro %}

{#- The streaming view model this model reads (its parent of materialization streaming_mv). -#}
{% macro staging_of_model() -%}
  {%- for uid in model.depends_on.nodes if uid in graph.nodes and graph.nodes[uid].config.materialized == 'streaming_mv' -%}
    {{ return(streamleap._node_relation(graph.nodes[uid], 'view')) }}
  {%- endfor -%}
  {{ exceptions.raise_compiler_error("model " ~ this ~ ": it reads no streaming view (a model of materialized='streaming_mv'); its SQL must ref one, as streamleap generate writes it") }}
{%- endmacro %}

{#- One query: the state row's fingerprint, and whether the stream holds a record past its
    watermark. {'fingerprint': none, 'anything_new': true} without a state table or row. -#}
{% macro _stored_state(staging) -%}
  {%- set state = streamleap.state_relation(this) -%}
  {%- if load_relation(state) is none -%}{{ return({'fingerprint': none, 'anything_new': true}) }}{%- endif -%}
  {%- set key = streamleap._string_literal(streamleap._relation_key(this)) -%}
  {#- the watermark by a subquery of its own, not a correlated reference to the outer row: DuckDB
      plans a correlated one as a join over the view (5 ms a run, against 2.7) -#}
  {%- set rows = run_query('select fingerprint, (select max(refresh_time) from ' ~ staging ~ ' where refresh_time > '
      ~ streamleap.watermark_lookup_sql(this) ~ ') from ' ~ state ~ ' where relation_name = ' ~ key).rows -%}
  {%- if rows | length != 1 -%}{{ return({'fingerprint': none, 'anything_new': true}) }}{%- endif -%}
  {{ return({'fingerprint': rows[0][0], 'anything_new': rows[0][1] is not none}) }}
{%- endmacro %}

{#- The fingerprint of what a model's relation was last applied with (its state row's
    fingerprint column): a mirror's columns and key, a set-aside model's layout version. -#}
{% macro model_fingerprint(spec=none) -%}
  {%- if spec is none -%}{{ return('set-aside:2') }}{%- endif -%}
  {%- set parts = [] -%}
  {%- for c in spec.columns %}{% do parts.append(c.name ~ ' ' ~ c.types.redshift) %}{% endfor -%}
  {%- for c in spec.key %}{% do parts.append('key ' ~ c.name) %}{% endfor -%}
  {#- a mirror's fingerprint from before the modes is its mode 'mirror' -#}
  {%- if spec.mode != 'mirror' %}{% do parts.append('mode ' ~ spec.mode) %}{% endif -%}
  {{ return('mirror:' ~ local_md5(parts | join('\n'))) }}
{%- endmacro %}

{#- What the mirror's model has that its relation lacks, as dbt-adapters compares a relation's
    configuration with the model's: the model's columns (spec) against the relation's own (one
    look at the catalog). added: the columns to add, names compared case-insensitively. Types that
    grew are widened by the adapter (expand_target_column_types) when the run applies. -#}
{% macro mirror_changes(spec, relation) -%}
  {%- set existing = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
  {%- set added = [] -%}
  {%- for c in spec.columns if (c.name | string | lower) not in existing %}{% do added.append(c) %}{% endfor -%}
  {{ return({'added': added}) }}
{%- endmacro %}

{% macro _allow_rebuild() -%}
  {{ return(var('streamleap_allow_stream_rebuild', false) in [true, 'true', 'True', 1, '1']) }}
{%- endmacro %}
