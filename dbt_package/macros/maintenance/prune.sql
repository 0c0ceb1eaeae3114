{#-
  Housekeeping: what the modes and the local stream keep forever otherwise.

    dbt run-operation streamleap.prune --args '{before: "2026-11-29 00:00:00"}'   (streamleap prune)

  A tombstone and a mirror's newest truncate only keep a late re-delivery of an older change out:
  once they are older than what the stream can still deliver (its retention: a re-delivery brings
  back only what the stream retains), they can go. `before` is that bound (UTC, a timestamp text):
  streamleap prune passes now minus --older-than (default 24 hours, Kinesis's default retention).
  Removed, in one transaction:
    - tombstones (mode 'mirror'; a history's deletes) applied before it (_streamleap_synced_at): a
      history's versions keep the ends they gave them, and a change older than them cannot come;
    - each mirror's newest truncate (a history's every one) applied before it (streamleap_truncates);
    - the local stream stand-in's records (DuckDB, Postgres; on Redshift the streaming view's rows,
      which Redshift lets DELETE remove) older than it that every model of the stream has applied
      (at or below the lowest watermark; none while a model of the stream is not built yet): a
      mirror added later reads only what is left, as it would after Kinesis dropped it.
  soft_delete mirrors' flagged rows are data, not housekeeping: they stay. dry_run: count only.
-#}
{% macro prune(before, dry_run=false) -%}
  {%- set cutoff = 'cast(' ~ streamleap._string_literal(before) ~ ' as timestamp)' -%}
  {%- set work = [] -%}
  {%- set states = {} -%}
  {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.config.get('streamleap_table') -%}
    {%- set rel = streamleap._node_relation(node) -%}
    {%- do states.update({streamleap.state_relation(rel).render(): rel}) -%}
    {%- if streamleap.node_mirror_spec(node).mode in ('mirror', 'history') -%}
      {%- set tomb = load_relation(streamleap.tombstone_relation(rel)) -%}
      {%- if tomb is not none %}{% do work.append((tomb, '_streamleap_synced_at < ' ~ cutoff)) %}{% endif -%}
    {%- endif -%}
  {%- endfor -%}
  {%- for name, rel in states.items() -%}
    {%- set truncates = load_relation(streamleap.truncates_relation(rel)) -%}
    {%- if truncates is not none %}{% do work.append((truncates, 'synced_at < ' ~ cutoff)) %}{% endif -%}
  {%- endfor -%}
  {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.config.materialized == 'streaming_mv' -%}
    {%- set records = load_relation(streamleap.prunable_stream_relation(node)) -%}
    {%- set plan = streamleap._cycle_stream_plan(node, render=false) -%}
    {#- every model of the stream must have applied what goes: one not built yet would read it all -#}
    {%- set unbuilt = [] -%}
    {%- for model in (plan.mirror_nodes | map(attribute=0) | list) + plan.set_aside_nodes -%}
      {%- set rel = streamleap._node_relation(model) -%}
      {%- set state = load_relation(streamleap.state_relation(rel)) -%}
      {%- if state is none or run_query('select count(*) from ' ~ state ~ ' where relation_name = '
                                        ~ streamleap._string_literal(streamleap._relation_key(rel))).rows[0][0] | int == 0 -%}
        {%- do unbuilt.append(model.name) -%}
      {%- endif -%}
    {%- endfor -%}
    {%- if unbuilt -%}
      {%- do log('streamleap: the records of ' ~ node.name ~ ' are kept: ' ~ unbuilt | join(', ') ~ ' not built yet', info=true) -%}
    {%- elif records is not none -%}
      {%- do work.append((records, 'refresh_time < ' ~ cutoff ~ ' and refresh_time <= ' ~ plan.floor)) -%}
    {%- endif -%}
  {%- endfor -%}
  {%- set deletes = [] -%}
  {%- for rel, condition in work -%}
    {%- set n = run_query('select count(*) from ' ~ rel ~ ' where ' ~ condition).rows[0][0] -%}
    {%- do log('streamleap-prune ' ~ tojson({'relation': rel.render(), 'rows': n | int, 'dry_run': dry_run}), info=true) -%}
    {%- if n | int > 0 %}{% do deletes.append('delete from ' ~ rel ~ ' where ' ~ condition) %}{% endif -%}
  {%- endfor -%}
  {%- if deletes and not dry_run -%}
    {%- call statement('streamleap_prune', auto_begin=True) -%}
      {{ streamleap.begin_atomic() }}
      {{ deletes | join(';\n') }}
      {{- streamleap.end_atomic() }}
    {%- endcall -%}
    {%- do adapter.commit() -%}
  {%- endif -%}
{%- endmacro %}

{#- The relation holding a streaming view model's records: the local stand-in table (DuckDB,
    Postgres), the streaming materialized view itself on Redshift. -#}
{% macro prunable_stream_relation(node) -%}{{ return(adapter.dispatch('prunable_stream_relation', 'streamleap')(node)) }}{%- endmacro %}
{% macro default__prunable_stream_relation(node) -%}
  {{ return(streamleap.stream_relation(node.config.get('stream_schema'), node.config.get('stream_name'))) }}
{%- endmacro %}
{% macro redshift__prunable_stream_relation(node) -%}
  {{ return(streamleap._node_relation(node, 'table')) }}
{%- endmacro %}
