{#-
  The SQL of one `streamleap run` cycle (docs/decisions/0014), rendered once per parsed project
  and executed by the runner on its own connection: a cycle costs what arrived and the tables it
  concerns, not the project's size.

  setup, once per connection: a temporary table of which models each stream has (one row per
  model), that the probes and finishes join, so that their text does not grow with the number of
  models (an idle cycle costs the same at 2 and at 500 tables).
  Per stream (each streaming view model), every statement parameter-free (watermarks are read
  from streamleap_state inside the SQL):
    probe      one query: the newest record past the lowest watermark of the stream's models, or
               NULL (the cycle is idle for this stream: nothing else runs);
    begin      on Redshift, LOCK of the state tables (first in the cycle's one transaction);
    batch      the stream's new records, read once into a temporary table, each with its
               metadata read (_sl_schema, _sl_table, ...) and judged once for every table
               (cycle_batch_sql: the JSON rule, the operation, times and transaction-record-id);
    changed    which (schema-name, table-name) the batch holds, and whether it holds a
               truncate-table record of it (1: only then its mirrors run their truncate part,
               apply_truncate_sql, after their apply);
    deleting   (typed cycles) which mirrors' winning changes hold a delete: only those run their
               tombstones' part;
    mirrors    per mirror: the source tables (its own, its partitions') whose records it applies,
               and its apply: its records of the cycle batch read and judged once into a
               temporary table (cycle_checked_sql), its batch of changes made from those
               (change_batch_sql), applied by the same statements a dbt run uses
               (apply_batch_sql); its cleanup drops the judged records;
    set_aside  per set-aside model: start, the records of no mirrored table judged once (not
               JSON, no metadata, ...); per mirror, between its apply and its cleanup, the rows of
               its records as its apply judged them (set_aside_from_checked_sql); finish, all of
               them appended, with the count the state row reports;
    finish     every model of the stream moves its watermark to the batch's end (a mirror with
               nothing in the batch had nothing to apply), the temporary tables go.
  Order: batch, changed, set-aside starts, per changed mirror (apply, set-aside rows, cleanup),
  set-aside finishes, finish. The runner commits once per cycle, after every stream.
  On DuckDB and Postgres (cycle_types_once, typed.sql, docs/decisions/0017) the setup also makes
  a catalog of the mirrors' columns, typed_batch (after changed) types every value once and judges
  every record for every table, a mirror's apply reads those (no per-mirror checked table, no
  cleanup), the set-aside model takes every mirror's rows in its finish, and the finish writes the
  applied tables' state rows at once. Those streams also carry each: the mirrors, set-aside models
  and finish of the per-table cycle above, which the runner takes instead (typed_batch not run)
  when the batch changed few tables (docs/decisions/0025).

  Usage: dbt run-operation streamleap.cycle_plan  (logs the plan as one JSON line)
-#}
{% macro cycle_plan() -%}
  {{ log('streamleap-cycle-plan ' ~ tojson(streamleap._cycle_plan()), info=true) }}
{%- endmacro %}

{% macro _cycle_plan() -%}
  {%- set members = streamleap._cycle_temp_relation('streamleap_cycle_models') -%}
  {%- set plan = {'version': 2, 'target': target.type, 'setup': [], 'streams': []} -%}
  {%- set rows = [] -%}
  {%- set catalogs = [] -%}
  {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.config.materialized == 'streaming_mv' -%}
    {#- mirror ids unique in the plan (the catalog tables hold every stream's) -#}
    {%- set first_id = namespace(n=1) -%}
    {%- for c in catalogs %}{% set first_id.n = first_id.n + c.ids | length %}{% endfor -%}
    {%- set stream = streamleap._cycle_stream_plan(node, members=members, first_id=first_id.n) -%}
    {%- do plan.streams.append(stream) -%}
    {%- for key in stream.pop('member_keys') %}{% do rows.append('(' ~ streamleap._string_literal(stream.staging_key) ~ ', ' ~ key ~ ')') %}{% endfor -%}
    {%- set catalog = stream.pop('catalog') -%}
    {%- if catalog is not none %}{% do catalogs.append(catalog) %}{% endif -%}
  {%- endfor -%}
  {#- the session's settings (session.sql), then which models each stream has, once per
      connection: the probe and the finish join it (their text does not grow with the number of
      models) -#}
  {%- set session = streamleap.cycle_session_sql() | trim -%}
  {%- if session %}{% do plan.setup.append(session) %}{% endif -%}
  {%- do plan.setup.append('drop table if exists ' ~ members) -%}
  {%- do plan.setup.append('create temporary table ' ~ members ~ ' (staging_name varchar(1024), relation_name varchar(1024))') -%}
  {%- for batch in rows | batch(500) -%}
    {%- do plan.setup.append('insert into ' ~ members ~ ' (staging_name, relation_name) values\n' ~ batch | join(',\n')) -%}
  {%- endfor -%}
  {%- do plan.setup.extend(streamleap.cycle_members_index_sql(members)) -%}
  {%- if streamleap.cycle_types_once() %}{% do plan.setup.extend(streamleap.typed_catalog_sql(catalogs)) %}{% endif -%}
  {{ return(plan) }}
{%- endmacro %}

{% macro _node_relation(node, type='table') -%}
  {{ return(api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias or node.name, type=type)) }}
{%- endmacro %}

{#- A temporary table's relation: no database or schema (each target's temporary tables shadow
    the schema's). -#}
{% macro _cycle_temp_relation(identifier) -%}
  {{ return(api.Relation.create(identifier=identifier, type='table').include(database=false, schema=false)) }}
{%- endmacro %}

{#- A stream's probe (see the top): the newest record past floor, the lowest watermark of the
    stream's models (marks: a SELECT of watermark per state table), or NULL. -#}
{% macro cycle_probe_sql(staging, floor, marks) -%}{{ return(adapter.dispatch('cycle_probe_sql', 'streamleap')(staging, floor, marks)) }}{%- endmacro %}
{% macro default__cycle_probe_sql(staging, floor, marks) -%}
  {{ return('select max(refresh_time) from ' ~ staging ~ ' where refresh_time > ' ~ floor) }}
{%- endmacro %}
{#- Postgres: the stand-in's newest record is one step down its refresh_time index
    (postgres___local_stream_functions), and there is something past the lowest watermark when a
    model's watermark is below that record. Only the state rows below it are joined to the members
    table (by its index, cycle_members_index_sql): none in an idle cycle. The lowest watermark
    joined every model's row: 0.3 ms of the probe at 500 tables, 0.02 ms at 2. -#}
{% macro postgres__cycle_probe_sql(staging, floor, marks) -%}
  {%- if not marks %}{{ return(streamleap.default__cycle_probe_sql(staging, floor, marks)) }}{% endif -%}
  {%- set newest = '(select max(refresh_time) from ' ~ staging ~ ')' -%}
  {{ return('select case when exists (select 1 from (' ~ marks | join(' union all ') ~ ') marks where marks.watermark is null or marks.watermark < '
            ~ newest ~ ')\n  then ' ~ newest ~ ' end') }}
{%- endmacro %}
{#- dbt-redshift falls back to postgres__ macros: a streaming view has no index (its newest record is
    a scan of the view) -#}
{% macro redshift__cycle_probe_sql(staging, floor, marks) -%}{{ return(streamleap.default__cycle_probe_sql(staging, floor, marks)) }}{%- endmacro %}

{#- After the members table is filled (once per connection): what lets the probe look a model up. -#}
{% macro cycle_members_index_sql(members) -%}{{ return(adapter.dispatch('cycle_members_index_sql', 'streamleap')(members)) }}{%- endmacro %}
{% macro default__cycle_members_index_sql(members) -%}{{ return([]) }}{%- endmacro %}
{#- Postgres: an index, and statistics (autovacuum never analyzes a temporary table) -#}
{% macro postgres__cycle_members_index_sql(members) -%}{{ return(['create index on ' ~ members ~ ' (relation_name)', 'analyze ' ~ members]) }}{%- endmacro %}
{% macro redshift__cycle_members_index_sql(members) -%}{{ return([]) }}{%- endmacro %}

{% macro _cycle_create_temp_sql(relation, sql) -%}
create temporary table {{ relation }} as (
{{ sql }}
)
{%- endmacro %}

{#- scope: the unique_ids of the models to include (none: every model of the stream). render:
    false leaves out the mirrors' and set-aside models' pieces (apply, set_aside), and gives their
    nodes and specs instead (mirror_nodes, set_aside_nodes), for a caller that renders only the
    pieces of the tables that changed (run_stream_cycle). -#}
{#- first_id: the first mirror id of the stream's typed catalog (typed.sql), where the target
    types a cycle's values once (cycle_types_once); the plan holds the catalog ('catalog'), and the
    batch its values and judged records when render. -#}
{% macro _cycle_stream_plan(staging_node, scope=none, render=true, members=none, first_id=1) -%}
  {%- set staging = streamleap._node_relation(staging_node, 'view') -%}
  {%- set cycle_batch = streamleap._cycle_temp_relation('streamleap_cycle_batch') -%}
  {%- set mirrors = [] -%}
  {%- set set_asides = [] -%}
  {%- for node in graph.nodes.values() if node.resource_type == 'model' and staging_node.unique_id in node.depends_on.nodes
                                         and (scope is none or node.unique_id in scope) -%}
    {%- if node.config.get('streamleap_table') -%}
      {%- do mirrors.append((node, streamleap.node_mirror_spec(node))) -%}
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
  {%- set staging_key = streamleap._relation_key(staging) -%}
  {%- set all_keys = [] -%}
  {%- for skey in state_order %}{% do all_keys.extend(states[skey]['keys']) %}{% endfor -%}
  {%- if members is not none and marks -%}
    {#- the state rows of the stream's models, through the members table (one row per model) -#}
    {%- set mine = '(select relation_name from ' ~ members ~ ' where staging_name = ' ~ streamleap._string_literal(staging_key) ~ ')' -%}
    {%- set every = [] -%}
    {%- for skey in state_order %}{% do every.append('select watermark from ' ~ states[skey]['relation'] ~ ' where relation_name in ' ~ mine) %}{% endfor -%}
    {%- set floor = '(select min(coalesce(watermark, ' ~ epoch ~ ')) from (' ~ every | join(' union all ') ~ ') marks)' -%}
  {%- else -%}
    {%- set floor = '(select min(watermark) from (' ~ marks | join(' union all ') ~ ') marks)' if marks else epoch -%}
  {%- endif -%}
  {%- set model_marks = every if members is not none and marks else marks -%}
  {%- set batch_end = '(select max(refresh_time) from ' ~ cycle_batch ~ ')' -%}
  {%- set fmt = streamleap.stream_format(staging_node) -%}
  {#- values are typed once for DMS records only (typed.sql reads them) -#}
  {%- set typed = streamleap.cycle_types_once() and fmt.name == 'dms' -%}
  {%- set stream_schema = staging_node.config.get('stream_schema') -%}
  {%- set catalog = streamleap.typed_catalog(staging_key, mirrors, first_id) if typed and render else none -%}
  {%- set batch = [streamleap._cycle_create_temp_sql(cycle_batch, streamleap.cycle_batch_sql(staging, floor, stream_schema, fmt))] -%}
  {%- set typed_batch = streamleap.typed_batch_sql(staging_key, cycle_batch, catalog, stream_schema) if catalog is not none else [] -%}

  {%- set out = {
    'staging_model': staging_node.name,
    'staging_key': staging_key,
    'member_keys': all_keys,
    'stream': [staging_node.config.get('stream_schema'), staging_node.config.get('stream_name')],
    'refresh': streamleap.refresh_streaming_view_sql(staging) | trim,
    'probe': streamleap.cycle_probe_sql(staging, floor, model_marks),
    'floor': floor,
    'begin': [],
    'batch': batch | join(';\n'),
    'typed_batch': typed_batch | join(';\n'),
    'catalog': catalog,
    'changed': "select _sl_schema, _sl_table, max(case when _sl_record_type = 'control' and _sl_op = 'truncate-table' then 1 else 0 end)\nfrom "
               ~ cycle_batch ~ '\ngroup by _sl_schema, _sl_table',
    'count_into': streamleap.typed_count_into_sql() if typed else '',
    'deleting': streamleap.typed_deleting_sql() if typed else '',
    'mirrors': [],
    'set_aside': [],
    'finish': [],
  } -%}
  {%- if not render %}{% do out.update({'mirror_nodes': mirrors, 'set_aside_nodes': set_asides, 'cycle_batch': cycle_batch}) %}{% endif -%}
  {%- for skey in state_order -%}
    {%- set lock = (streamleap.lock_state_sql(states[skey]['relation']) | trim).rstrip(';') -%}
    {%- if lock %}{% do out.begin.append(lock) %}{% endif -%}
  {%- endfor -%}

  {%- for node, spec in (mirrors if render else []) -%}
    {%- if typed -%}
      {%- do out.mirrors.append(streamleap._cycle_typed_mirror_piece(node, spec, catalog.ids[node.unique_id])) -%}
    {%- else -%}
      {%- do out.mirrors.append(streamleap._cycle_mirror_piece(node, spec, cycle_batch)) -%}
    {%- endif -%}
  {%- endfor -%}
  {%- for node in (set_asides if render else []) -%}
    {%- do out.set_aside.append(streamleap._cycle_set_aside_piece(node, mirrors, mirrors, cycle_batch, typed=typed)) -%}
  {%- endfor -%}

  {%- set marks_moved = [] -%}
  {%- for skey in state_order -%}
    {%- set st = states[skey] -%}
    {%- do marks_moved.append('update ' ~ st.relation ~ '\nset watermark = ' ~ batch_end ~ ', updated_at = ' ~ dbt.current_timestamp()
        ~ '\nwhere relation_name in ' ~ (mine if members is not none else '(' ~ st['keys'] | join(', ') ~ ')')
        ~ '\n  and (watermark is null or watermark < ' ~ batch_end ~ ')') -%}
  {%- endfor -%}
  {%- for skey in state_order if typed -%}
    {%- do out.finish.extend(streamleap.typed_state_sql(states[skey]['relation'])) -%}
  {%- endfor -%}
  {%- do out.finish.extend(marks_moved) -%}
  {%- if typed -%}
    {%- set r = streamleap._typed_relations() -%}
    {%- do out.finish.append('drop table ' ~ r['values']) -%}
    {%- do out.finish.append('drop table ' ~ r.judged) -%}
    {%- do out.finish.append('drop table ' ~ r.winners) -%}
    {%- do out.finish.append('drop table ' ~ r.applied) -%}
  {%- endif -%}
  {%- do out.finish.append('drop table ' ~ cycle_batch) -%}
  {#- Where values are typed once: the same cycle as each table's own statements (as on Redshift),
      for a cycle that changed few tables, where binding a table's statements costs less than
      typing every value of a large batch once more as rows (docs/decisions/0025) -#}
  {%- if typed and render -%}
    {%- set each = {'mirrors': [], 'set_aside': [], 'finish': marks_moved + ['drop table ' ~ cycle_batch]} -%}
    {%- for node, spec in mirrors -%}
      {%- do each.mirrors.append(streamleap._cycle_mirror_piece(node, spec, cycle_batch)) -%}
    {%- endfor -%}
    {%- for node in set_asides -%}
      {%- do each.set_aside.append(streamleap._cycle_set_aside_piece(node, mirrors, mirrors, cycle_batch, typed=false)) -%}
    {%- endfor -%}
    {%- do out.update({'each': each}) -%}
  {%- endif -%}
  {{ return(out) }}
{%- endmacro %}

{#- [schema-name, table-name] of the records a mirror applies: its table's and its partitions'. -#}
{% macro _spec_tables(spec) -%}
  {%- set tables = [[spec.schema, spec.table]] -%}
  {%- for p in spec.partitions %}{% do tables.append([p.get('schema') or spec.schema, p.table]) %}{% endfor -%}
  {{ return(tables) }}
{%- endmacro %}

{#- The temporary table of a mirror's records in a cycle, read and judged once (cycle_checked_sql). -#}
{% macro _cycle_checked_relation(node) -%}
  {{ return(streamleap._cycle_temp_relation(streamleap.suffixed_identifier(streamleap._node_relation(node).identifier, '__streamleap_checked'))) }}
{%- endmacro %}

{#- A mirror's piece of a cycle: the tables whose records it applies; its apply: its records read
    and judged once (checked), its batch of changes from them, applied; cleanup: the checked
    records dropped, after the set-aside models took theirs. -#}
{% macro _cycle_mirror_piece(node, spec, cycle_batch) -%}
    {%- set target_rel = streamleap._node_relation(node) -%}
    {%- set changes = streamleap._cycle_temp_relation(streamleap.suffixed_identifier(target_rel.identifier, '__streamleap_cycle')) -%}
    {%- set checked = streamleap._cycle_checked_relation(node) -%}
    {%- set only_its_own = streamleap.source_table_filter(spec, '_sl_table', '_sl_schema') -%}
    {{ return({
      'model': node.name,
      'unique_id': node.unique_id,
      'tables': streamleap._spec_tables(spec),
      'apply': streamleap._cycle_create_temp_sql(checked, streamleap.cycle_checked_sql(cycle_batch, spec, only_its_own)) ~ ';\n'
               ~ streamleap._cycle_create_temp_sql(changes, streamleap.change_batch_sql(none, spec, target_rel, checked=checked)) ~ ';\n'
               ~ streamleap.apply_batch_sql(target_rel, changes, spec, in_cycle=true),
      'cleanup': 'drop table ' ~ checked,
      'id': none,
      'tombstones': '',
      'truncate': streamleap.apply_truncate_sql(target_rel, changes, spec),
      'count': '',
      'drop': 'drop table ' ~ changes,
    }) }}
{%- endmacro %}

{#- A set-aside model's piece of a cycle. mirrors: every (node, spec) of the stream's mirrors in
    the cycle (the records of none of their tables are judged once, in start); judged: those whose
    records it takes, as the mirror's apply judged them (by model name: after that mirror's apply,
    before its cleanup). typed: the cycle's values were typed once (typed.sql): the rows of every
    mirror's records are taken in finish, from the cycle's judged records. -#}
{% macro _cycle_set_aside_piece(node, mirrors, judged, cycle_batch, typed=false) -%}
    {%- set target_rel = streamleap._node_relation(node) -%}
    {#- its own suffix: it lives while the mirrors' __streamleap_cycle tables come and go, and a
        mirror of another schema may have the same identifier -#}
    {%- set kept = streamleap._cycle_temp_relation(streamleap.suffixed_identifier(target_rel.identifier, '__streamleap_kept')) -%}
    {%- set specs = mirrors | map(attribute=1) | list -%}
    {#- the records of no mirrored table: one filter over every mirrored name, by schema -#}
    {%- set names = [] -%}
    {%- for spec in specs -%}
      {%- do names.append({'schema': spec.schema, 'table': spec.table}) -%}
      {%- for p in spec.partitions %}{% do names.append({'schema': p.get('schema') or spec.schema, 'table': p.table}) %}{% endfor -%}
    {%- endfor -%}
    {%- set unmirrored = 'true' if not names else 'not coalesce(' ~ streamleap.source_table_filter({'schema': names[0].schema, 'table': names[0].table, 'partitions': names[1:]}, '_sl_table', '_sl_schema') ~ ', false)' -%}
    {%- set per_mirror = {} -%}
    {%- for node_m, spec in (judged if not typed else []) -%}
      {#- as the set-aside model judges a record by the first mirror (in the stream's order) that
          claims its table: the tables an earlier mirror claims too are left to that one -#}
      {%- set mine = streamleap._spec_tables(spec) -%}
      {%- set earlier = [] -%}
      {%- set seen = namespace(self=false) -%}
      {%- for other_node, other in mirrors -%}
        {%- if other_node.unique_id == node_m.unique_id %}{% set seen.self = true %}{% endif -%}
        {%- if not seen.self and streamleap._spec_tables(other) | select('in', mine) | list -%}{%- do earlier.append(other) -%}{%- endif -%}
      {%- endfor -%}
      {%- set not_earlier = [] -%}
      {%- for other in earlier %}{% do not_earlier.append('not coalesce(' ~ streamleap.source_table_filter(other, '_sl_table', '_sl_schema') ~ ', false)') %}{% endfor -%}
      {%- do per_mirror.update({node_m.name: 'insert into ' ~ kept ~ '\nselect * from (\n'
            ~ streamleap.set_aside_from_checked_sql(streamleap._cycle_checked_relation(node_m), spec, target_rel, not_earlier | join(' and ') or none)
            ~ '\n) judged'}) -%}
    {%- endfor -%}
    {%- set cols = streamleap._set_aside_columns() -%}
    {%- set key = streamleap._string_literal(streamleap._relation_key(target_rel)) -%}
    {{ return({
      'model': node.name,
      'unique_id': node.unique_id,
      'start': 'drop table if exists ' ~ kept ~ ';\n'
               ~ streamleap._cycle_create_temp_sql(kept, 'select * from (\n' ~ streamleap.set_aside_batch_sql(cycle_batch, target_rel, [], unmirrored, streamleap.stream_format_of(mirrors, node)) ~ '\n) judged where reason is not null'),
      'mirrors': per_mirror,
      'finish': ('insert into ' ~ kept ~ '\nselect * from (\n' ~ streamleap.typed_set_aside_rows_sql(target_rel, cycle_batch) ~ '\n) judged;\n' if typed else '')
                ~ 'insert into ' ~ target_rel ~ ' (' ~ cols | join(', ') ~ ')\nselect ' ~ cols | join(', ') ~ ' from ' ~ kept ~ ';\n'
                ~ 'update ' ~ streamleap.state_relation(target_rel) ~ '\nset applied_rows = (select count(*) from ' ~ kept ~ ' where adjusted = false)\nwhere relation_name = ' ~ key ~ ';\n'
                ~ 'drop table ' ~ kept,
    }) }}
{%- endmacro %}

{#- One planned cycle as a script, for reading and for the Redshift checks: the statements the
    runner executes for the streaming view model staging_model when the records are those of the
    mirrors named in changed (begin/commit stand for the runner's transaction), after the plan's
    setup (once per connection). -#}
{% macro cycle_script(staging_model, changed) -%}
  {%- set plan = streamleap._cycle_plan() -%}
  {%- set found = plan.streams | selectattr('staging_model', 'equalto', staging_model) | list -%}
  {%- if not found -%}{{ exceptions.raise_compiler_error('cycle_script: no model ' ~ staging_model) }}{%- endif -%}
  {%- set p = found[0] -%}
  {%- set out = [] -%}
  {%- do out.extend(plan.setup) -%}
  {%- if p.refresh %}{% do out.append(p.refresh) %}{% endif -%}
  {%- do out.append(p.probe) -%}
  {%- do out.append('begin') -%}
  {%- do out.extend(p.begin) -%}
  {%- do out.extend([p.batch, p.changed]) -%}
  {%- if p.typed_batch %}{% do out.append(p.typed_batch) %}{% endif -%}
  {%- if p.deleting %}{% do out.append(p.deleting) %}{% endif -%}
  {%- for a in p.set_aside %}{% do out.append(a.start) %}{% endfor -%}
  {%- for m in p.mirrors if m.model in changed -%}
    {%- do out.append(m.apply) -%}
    {%- if m.tombstones %}{% do out.append(m.tombstones) %}{% endif -%}
    {%- if m.truncate %}{% do out.append(m.truncate) %}{% endif -%}
    {%- for a in p.set_aside if m.model in a.mirrors %}{% do out.append(a.mirrors[m.model]) %}{% endfor -%}
    {%- if m.cleanup %}{% do out.append(m.cleanup) %}{% endif -%}
  {%- endfor -%}
  {%- for a in p.set_aside %}{% do out.append(a.finish) %}{% endfor -%}
  {%- set counts = [] -%}
  {%- for m in p.mirrors if m.model in changed and m.count %}{% do counts.append(m.count) %}{% endfor -%}
  {%- if counts %}{% do out.append(streamleap.typed_counts_sql(counts)) %}{% endif -%}
  {%- for m in p.mirrors if m.model in changed and m.drop %}{% do out.append(m.drop) %}{% endfor -%}
  {%- do out.extend(p.finish) -%}
  {%- do out.append('commit') -%}
  {{ return(out | join(';\n') ) }}
{%- endmacro %}

{#-
  The same cycle inside a plain `dbt run` (or any dbt invocation that runs the streaming view
  model), called by the streaming_mv materialization after its refresh: the stream's new records
  are read and parsed once for the run, the mirrors and set-aside models that the run selected and
  that exist apply what is theirs in one transaction, and each of those moves its watermark to the
  batch's end. The mirror models then find nothing past their watermark and do nothing but that one
  query (run_mode: nothing_new). Only the pieces of the tables that changed are rendered.
  A mirror that is not built yet, or whose columns changed since it last applied, is left to its
  own run (which builds it, or adds the columns first), and so is the set-aside model unless every
  mirror of the stream is in the cycle. Returns whether it opened a transaction (the caller
  commits; its reads, run_query, open none).
-#}
{% macro run_stream_cycle(staging_node) -%}
  {#- the stream's models in this run, built, and last applied with the columns they have now
      (a mirror whose columns changed applies in its own run, which adds them first) -#}
  {%- set stream_models = [] -%}
  {%- for node in graph.nodes.values() if node.resource_type == 'model' and staging_node.unique_id in node.depends_on.nodes
                                         and (node.config.get('streamleap_table') or node.config.get('streamleap_set_aside')) -%}
    {%- do stream_models.append(node) -%}
  {%- endfor -%}
  {%- set candidates = [] -%}
  {%- set states = {} -%}
  {%- for node in stream_models if selected_resources is not defined or selected_resources is none or node.unique_id in selected_resources -%}
    {%- set rel = streamleap._node_relation(node) -%}
    {%- set state = streamleap.state_relation(rel) -%}
    {%- if load_cached_relation(rel) is not none and load_cached_relation(state) is not none -%}
      {%- do candidates.append(node) -%}
      {%- do states.setdefault(state.render(), []).append(streamleap._string_literal(streamleap._relation_key(rel))) -%}
    {%- endif -%}
  {%- endfor -%}
  {%- if not candidates -%}{{ return(false) }}{%- endif -%}
  {%- set reads = [] -%}
  {%- for state, keys in states.items() -%}
    {%- do reads.append('select relation_name, fingerprint from ' ~ state ~ ' where relation_name in (' ~ keys | join(', ') ~ ')') -%}
  {%- endfor -%}
  {%- set stored = {} -%}
  {%- for row in run_query(reads | join(' union all ')).rows %}{% do stored.update({row[0]: row[1]}) %}{% endfor -%}
  {%- set in_run = [] -%}
  {%- for node in candidates if node.config.get('streamleap_table') -%}
    {%- set spec = streamleap.node_mirror_spec(node) -%}
    {%- if stored.get(streamleap._relation_key(streamleap._node_relation(node))) == streamleap.model_fingerprint(spec) -%}
      {%- do in_run.append(node) -%}
    {%- endif -%}
  {%- endfor -%}
  {#- the set-aside model judges the records of every mirrored table: only with all of them -#}
  {%- if in_run | length == stream_models | selectattr('config.streamleap_table') | list | length -%}
    {%- for node in candidates if node.config.get('streamleap_set_aside')
                                and stored.get(streamleap._relation_key(streamleap._node_relation(node))) == streamleap.model_fingerprint() -%}
      {%- do in_run.append(node) -%}
    {%- endfor -%}
  {%- endif -%}
  {%- if not in_run -%}{{ return(false) }}{%- endif -%}
  {%- set p = streamleap._cycle_stream_plan(staging_node, in_run | map(attribute='unique_id') | list, render=false) -%}
  {%- set newest = run_query(p.probe) -%}
  {%- if newest is none or (newest.rows | length) == 0 or newest.rows[0][0] is none -%}{{ return(false) }}{%- endif -%}
  {%- call statement('streamleap_cycle_batch') -%}
    {{ streamleap.begin_atomic() }}
    {{ (p.begin | join(';\n') ~ ';') if p.begin }}
    {{ p.batch }}
  {%- endcall -%}
  {%- set changed = [] -%}
  {%- set truncating = [] -%}
  {%- for row in run_query(p.changed).rows if row[0] is not none and row[1] is not none -%}
    {%- do changed.append([row[0] | string, row[1] | string]) -%}
    {%- if row[2] | int > 0 %}{% do truncating.append([row[0] | string, row[1] | string]) %}{% endif -%}
  {%- endfor -%}
  {%- set typed = streamleap.cycle_types_once() and streamleap.stream_format(staging_node).name == 'dms' -%}
  {%- set changed_nodes = [] -%}
  {%- for node, spec in p.mirror_nodes if streamleap._spec_tables(spec) | select('in', changed) | list %}{% do changed_nodes.append(node.unique_id) %}{% endfor -%}
  {%- set statements = [] -%}
  {%- if typed -%}
    {#- the catalog of the changed mirrors, their values typed once -#}
    {%- set catalog = streamleap.typed_catalog(p.staging_key, p.mirror_nodes, 1, include=changed_nodes) -%}
    {%- do statements.extend(streamleap.typed_catalog_sql([catalog])) -%}
    {%- do statements.extend(streamleap.typed_batch_sql(p.staging_key, p.cycle_batch, catalog, staging_node.config.get('stream_schema'))) -%}
  {%- endif -%}
  {%- set applied = [] -%}
  {#- only the changed mirrors' SQL is rendered -#}
  {%- for node, spec in p.mirror_nodes if node.unique_id in changed_nodes -%}
    {%- do applied.append((node, spec, streamleap._cycle_typed_mirror_piece(node, spec, catalog.ids[node.unique_id]) if typed else streamleap._cycle_mirror_piece(node, spec, p.cycle_batch))) -%}
  {%- endfor -%}
  {%- set judged = [] -%}
  {%- for node_m, spec, _ in applied %}{% do judged.append((node_m, spec)) %}{% endfor -%}
  {%- set set_asides = [] -%}
  {%- for node in p.set_aside_nodes %}{% do set_asides.append(streamleap._cycle_set_aside_piece(node, p.mirror_nodes, judged, p.cycle_batch, typed=typed)) %}{% endfor -%}
  {%- for a in set_asides %}{% do statements.append(a.start) %}{% endfor -%}
  {%- for node_m, spec, piece in applied -%}
    {%- do statements.append(piece.apply) -%}
    {%- if piece.tombstones %}{% do statements.append(piece.tombstones) %}{% endif -%}
    {%- if streamleap._spec_tables(spec) | select('in', truncating) | list %}{% do statements.append(piece.truncate) %}{% endif -%}
    {%- for a in set_asides if node_m.name in a.mirrors %}{% do statements.append(a.mirrors[node_m.name]) %}{% endfor -%}
    {%- if piece.cleanup %}{% do statements.append(piece.cleanup) %}{% endif -%}
  {%- endfor -%}
  {%- for a in set_asides %}{% do statements.append(a.finish) %}{% endfor -%}
  {%- set counts = [] -%}
  {%- for _, _, piece in applied if piece.count %}{% do counts.append(piece.count) %}{% endfor -%}
  {%- if counts %}{% do statements.append(streamleap.typed_counts_sql(counts)) %}{% endif -%}
  {%- for _, _, piece in applied if piece.drop %}{% do statements.append(piece.drop) %}{% endfor -%}
  {%- do statements.extend(p.finish) -%}
  {%- call statement('streamleap_cycle_apply') -%}
    {{ statements | join(';\n') }}
    {{- streamleap.end_atomic() }}
  {%- endcall -%}
  {#- which models applied in this run's cycle (their runs then find nothing new): the runner's
      report of a `dbt run` cycle (streamleap/pipeline/runner.py) -#}
  {%- set ran = [] -%}
  {%- for node_m, _, _ in applied %}{% do ran.append(node_m.name) %}{% endfor -%}
  {%- for node in p.set_aside_nodes %}{% do ran.append(node.name) %}{% endfor -%}
  {%- do log('streamleap-cycle-ran ' ~ tojson(ran)) -%}
  {{ return(true) }}
{%- endmacro %}

{#- A stream's record format (record_format.sql): its staging model's config record_format. -#}
{% macro stream_format(staging_node) -%}
  {{ return(streamleap._checked_format(staging_node.config.get('record_format'), staging_node.name)) }}
{%- endmacro %}

{#- The record format of a set-aside model's stream: its mirrors' (all of one stream), or its config's. -#}
{% macro stream_format_of(mirrors, set_aside_node) -%}
  {%- for node, spec in mirrors %}{{ return(streamleap.record_format(spec)) }}{% endfor -%}
  {{ return(streamleap._checked_format((set_aside_node.config.get('streamleap_set_aside') or {}).get('format'), set_aside_node.name)) }}
{%- endmacro %}
