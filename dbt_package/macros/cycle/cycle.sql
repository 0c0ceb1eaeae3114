{#-
  The SQL of one `streamleap run` cycle (docs/decisions/0014), rendered once per parsed project
  and executed by the runner on its own connection: a cycle costs what arrived and the tables it
  concerns, not the project's size.

  Per stream (each streaming view model), every statement parameter-free (watermarks are read
  from streamleap_state inside the SQL):
    probe      one query: the newest record past the lowest watermark of the stream's models, or
               NULL (the cycle is idle for this stream: nothing else runs);
    begin      on Redshift, LOCK of the state tables (first in the cycle's one transaction);
    batch      the stream's new records, read once into a temporary table, each with its
               metadata.schema-name and table-name (_sl_schema, _sl_table);
    changed    which (schema-name, table-name) the batch holds;
    mirrors    per mirror: the source tables (its own, its partitions') whose records it applies,
               and its apply: its batch of changes from the cycle batch (change_batch_sql, only
               its own records), applied by the same statements a dbt run uses (apply_batch_sql);
    set_aside  per set-aside model: the records of no mirrored table judged once (not JSON, no
               metadata, ...), and per mirror the records of its tables (its checks), appended
               with the count the state row reports;
    finish     every model of the stream moves its watermark to the batch's end (a mirror with
               nothing in the batch had nothing to apply), the temporary tables go.
  The runner commits once per cycle, after every stream.

  Usage: dbt run-operation streamleap.cycle_plan  (logs the plan as one JSON line)
-#}
{% macro cycle_plan() -%}
  {%- set plan = {'version': 1, 'target': target.type, 'streams': []} -%}
  {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.config.materialized == 'streaming_mv' -%}
    {%- do plan.streams.append(streamleap._cycle_stream_plan(node)) -%}
  {%- endfor -%}
  {{ log('streamleap-cycle-plan ' ~ tojson(plan), info=true) }}
{%- endmacro %}

{% macro _node_relation(node, type='table') -%}
  {{ return(api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias or node.name, type=type)) }}
{%- endmacro %}

{#- A temporary table's relation: no database or schema (each target's temporary tables shadow
    the schema's). -#}
{% macro _cycle_temp_relation(identifier) -%}
  {{ return(api.Relation.create(identifier=identifier, type='table').include(database=false, schema=false)) }}
{%- endmacro %}

{% macro _cycle_create_temp_sql(relation, sql) -%}
create temporary table {{ relation }} as (
{{ sql }}
)
{%- endmacro %}

{% macro _cycle_stream_plan(staging_node) -%}
  {%- set staging = streamleap._node_relation(staging_node, 'view') -%}
  {%- set cycle_batch = streamleap._cycle_temp_relation('streamleap_cycle_batch') -%}
  {%- set mirrors = [] -%}
  {%- set set_asides = [] -%}
  {%- for node in graph.nodes.values() if node.resource_type == 'model' and staging_node.unique_id in node.depends_on.nodes -%}
    {%- if node.config.get('streamleap_table') -%}
      {%- do mirrors.append((node, streamleap.mirror_spec(node.config.get('streamleap_table'), node.config.get('unique_key'), node.name))) -%}
    {%- elif node.config.get('streamleap_set_aside') -%}
      {%- do set_asides.append(node) -%}
    {%- endif -%}
  {%- endfor -%}
  {#- every model of the stream, by state table: the watermarks the cycle reads and moves -#}
  {%- set states = {} -%}
  {%- set state_order = [] -%}
  {%- for node in (mirrors | map(attribute=0) | list) + set_asides -%}
    {%- set rel = streamleap._node_relation(node) -%}
    {%- set state = streamleap.state_relation(rel) -%}
    {%- set skey = state.render() -%}
    {%- if skey not in states -%}{% do states.update({skey: {'relation': state, 'keys': []}}) %}{% do state_order.append(skey) %}{%- endif -%}
    {%- do states[skey]['keys'].append(streamleap._string_literal(streamleap._relation_key(rel))) -%}
  {%- endfor -%}
  {%- set epoch = "cast('1900-01-01 00:00:00' as timestamp)" -%}
  {%- set marks = [] -%}
  {%- for skey in state_order -%}
    {%- do marks.append('select coalesce(watermark, ' ~ epoch ~ ') as watermark from ' ~ states[skey]['relation'] ~ ' where relation_name in (' ~ states[skey]['keys'] | join(', ') ~ ')') -%}
  {%- endfor -%}
  {%- set floor = '(select min(watermark) from (' ~ marks | join(' union all ') ~ ') marks)' if marks else epoch -%}
  {%- set batch_end = '(select max(refresh_time) from ' ~ cycle_batch ~ ')' -%}

  {%- set out = {
    'staging_model': staging_node.name,
    'stream': [staging_node.config.get('stream_schema'), staging_node.config.get('stream_name')],
    'refresh': streamleap.refresh_streaming_view_sql(staging) | trim,
    'probe': 'select max(refresh_time) from ' ~ staging ~ ' where refresh_time > ' ~ floor,
    'begin': [],
    'batch': streamleap._cycle_create_temp_sql(cycle_batch,
        'select refresh_time, shard_id, sequence_number, partition_key, payload, raw_data, '
        ~ streamleap.json_text('payload', ['metadata', 'schema-name']) ~ ' as _sl_schema, '
        ~ streamleap.json_text('payload', ['metadata', 'table-name']) ~ ' as _sl_table\nfrom ' ~ staging
        ~ '\nwhere refresh_time > ' ~ floor),
    'changed': 'select distinct _sl_schema, _sl_table from ' ~ cycle_batch,
    'mirrors': [],
    'set_aside': [],
    'finish': [],
  } -%}
  {%- for skey in state_order -%}
    {%- set lock = (streamleap.lock_state_sql(states[skey]['relation']) | trim).rstrip(';') -%}
    {%- if lock %}{% do out.begin.append(lock) %}{% endif -%}
  {%- endfor -%}

  {%- for node, spec in mirrors -%}
    {%- set target_rel = streamleap._node_relation(node) -%}
    {%- set changes = streamleap._cycle_temp_relation(streamleap.suffixed_identifier(target_rel.identifier, '__streamleap_cycle')) -%}
    {%- set only_its_own = streamleap.source_table_filter(spec, '_sl_table', '_sl_schema') -%}
    {%- set tables = [[spec.schema, spec.table]] -%}
    {%- for p in spec.partitions %}{% do tables.append([p.get('schema') or spec.schema, p.table]) %}{% endfor -%}
    {%- do out.mirrors.append({
      'model': node.name,
      'unique_id': node.unique_id,
      'tables': tables,
      'apply': 'drop table if exists ' ~ changes ~ ';\n'
               ~ streamleap._cycle_create_temp_sql(changes, streamleap.change_batch_sql(cycle_batch, spec, target_rel, only_its_own)) ~ ';\n'
               ~ streamleap.apply_batch_sql(target_rel, changes, spec) ~ ';\n'
               ~ 'drop table ' ~ changes,
    }) -%}
  {%- endfor -%}

  {%- for node in set_asides -%}
    {%- set target_rel = streamleap._node_relation(node) -%}
    {%- set kept = streamleap._cycle_temp_relation(streamleap.suffixed_identifier(target_rel.identifier, '__streamleap_cycle')) -%}
    {%- set specs = mirrors | map(attribute=1) | list -%}
    {#- the records of no mirrored table: one filter over every mirrored name, by schema -#}
    {%- set names = [] -%}
    {%- for spec in specs -%}
      {%- do names.append({'schema': spec.schema, 'table': spec.table}) -%}
      {%- for p in spec.partitions %}{% do names.append({'schema': p.get('schema') or spec.schema, 'table': p.table}) %}{% endfor -%}
    {%- endfor -%}
    {%- set unmirrored = 'true' if not names else 'not coalesce(' ~ streamleap.source_table_filter({'schema': names[0].schema, 'table': names[0].table, 'partitions': names[1:]}, '_sl_table', '_sl_schema') ~ ', false)' -%}
    {%- set per_mirror = {} -%}
    {%- for node_m, spec in mirrors -%}
      {%- do per_mirror.update({node_m.name: 'insert into ' ~ kept ~ '\nselect * from (\n'
            ~ streamleap.set_aside_batch_sql(cycle_batch, target_rel, [spec], streamleap.source_table_filter(spec, '_sl_table', '_sl_schema'))
            ~ '\n) judged where reason is not null'}) -%}
    {%- endfor -%}
    {%- set cols = streamleap._set_aside_columns() -%}
    {%- set key = streamleap._string_literal(streamleap._relation_key(target_rel)) -%}
    {%- do out.set_aside.append({
      'model': node.name,
      'unique_id': node.unique_id,
      'start': 'drop table if exists ' ~ kept ~ ';\n'
               ~ streamleap._cycle_create_temp_sql(kept, 'select * from (\n' ~ streamleap.set_aside_batch_sql(cycle_batch, target_rel, [], unmirrored) ~ '\n) judged where reason is not null'),
      'mirrors': per_mirror,
      'finish': 'insert into ' ~ target_rel ~ ' (' ~ cols | join(', ') ~ ')\nselect ' ~ cols | join(', ') ~ ' from ' ~ kept ~ ';\n'
                ~ 'update ' ~ streamleap.state_relation(target_rel) ~ '\nset applied_rows = (select count(*) from ' ~ kept ~ ' where adjusted = false)\nwhere relation_name = ' ~ key ~ ';\n'
                ~ 'drop table ' ~ kept,
    }) -%}
  {%- endfor -%}

  {%- for skey in state_order -%}
    {%- set st = states[skey] -%}
    {%- do out.finish.append('update ' ~ st.relation ~ '\nset watermark = ' ~ batch_end ~ ', updated_at = ' ~ dbt.current_timestamp()
        ~ '\nwhere relation_name in (' ~ st['keys'] | join(', ') ~ ')\n  and (watermark is null or watermark < ' ~ batch_end ~ ')') -%}
  {%- endfor -%}
  {%- do out.finish.append('drop table ' ~ cycle_batch) -%}
  {{ return(out) }}
{%- endmacro %}

{#- One planned cycle as a script, for reading and for the Redshift checks: the statements the
    runner executes for the streaming view model staging_model when the records are those of the
    mirrors named in changed (begin/commit stand for the runner's transaction). -#}
{% macro cycle_script(staging_model, changed) -%}
  {%- set found = [] -%}
  {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.name == staging_model -%}
    {%- do found.append(streamleap._cycle_stream_plan(node)) -%}
  {%- endfor -%}
  {%- if not found -%}{{ exceptions.raise_compiler_error('cycle_script: no model ' ~ staging_model) }}{%- endif -%}
  {%- set p = found[0] -%}
  {%- set out = [] -%}
  {%- if p.refresh %}{% do out.append(p.refresh) %}{% endif -%}
  {%- do out.append(p.probe) -%}
  {%- do out.append('begin') -%}
  {%- do out.extend(p.begin) -%}
  {%- do out.extend([p.batch, p.changed]) -%}
  {%- for m in p.mirrors if m.model in changed %}{% do out.append(m.apply) %}{% endfor -%}
  {%- for a in p.set_aside -%}
    {%- do out.append(a.start) -%}
    {%- for m in p.mirrors if m.model in changed %}{% do out.append(a.mirrors[m.model]) %}{% endfor -%}
    {%- do out.append(a.finish) -%}
  {%- endfor -%}
  {%- do out.extend(p.finish) -%}
  {%- do out.append('commit') -%}
  {{ return(out | join(';\n') ) }}
{%- endmacro %}
