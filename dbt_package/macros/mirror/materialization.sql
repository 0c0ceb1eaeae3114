{#-
  materialized='streamleap_mirror': a mirror or set-aside model. An incremental model (the
  adapter's own incremental materialization, with incremental_strategy='streamleap_cdc', builds,
  refreshes and applies) that does nothing, at the cost of one query, when nothing is past its
  watermark and its columns are the ones it was last applied with: no temporary table, no
  introspection, no DDL. In a `dbt run` the streaming view model has applied the stream's new
  records to every mirror of the run first (cycle.sql run_stream_cycle), so a mirror usually finds
  nothing new; without it (the staging model excluded) each mirror applies its own records.

  The check runs where the model's SQL is compiled (mirror_select, set_aside_select): its one query
  reads the state row's watermark and fingerprint and the newest record past the watermark; the
  compiled SQL then carries the marker /* streamleap:nothing-new */ and this materialization
  returns at once.
-#}
{% materialization streamleap_mirror, default %}
  {%- if '/* streamleap:nothing-new */' in (model.compiled_code or '') -%}
    {% do store_raw_result(name='main', message='nothing new', code='OK', rows_affected='0') %}
    {{ return({'relations': [this.incorporate(type='table')]}) }}
  {%- endif -%}
  {%- set incremental = context.get('materialization_incremental_' ~ adapter.type()) or context.get('materialization_incremental_default') -%}
  {{ return(incremental()) }}
{% endmaterialization %}

{#- is_incremental() for streamleap's models: dbt's own is true for materialized='incremental'
    only. -#}
{% macro _is_incremental() -%}
  {%- if not execute -%}{{ return(false) }}{%- endif -%}
  {%- set relation = adapter.get_relation(this.database, this.schema, this.identifier) -%}
  {{ return(relation is not none and relation.type == 'table' and model.config.materialized in ('incremental', 'streamleap_mirror')
            and not should_full_refresh()) }}
{%- endmacro %}

{#- The fingerprint of what a model's relation was last applied with (its state row's
    fingerprint column): a mirror's columns and key, a set-aside model's layout version. -#}
{% macro model_fingerprint(spec=none) -%}
  {%- if spec is none -%}{{ return('set-aside:2') }}{%- endif -%}
  {%- set parts = [] -%}
  {%- for c in spec.columns %}{% do parts.append(c.name ~ ' ' ~ c.types.redshift) %}{% endfor -%}
  {%- for c in spec.key %}{% do parts.append('key ' ~ c.name) %}{% endfor -%}
  {{ return('mirror:' ~ local_md5(parts | join('\n'))) }}
{%- endmacro %}

{#- True when a streamleap_mirror model has nothing to do (one query; see above). -#}
{% macro _nothing_new(staging, fingerprint) -%}
  {%- if not execute or model.config.materialized != 'streamleap_mirror' or not streamleap._is_incremental() -%}
    {{ return(false) }}
  {%- endif -%}
  {%- set state = streamleap.state_relation(this) -%}
  {%- if load_relation(state) is none -%}{{ return(false) }}{%- endif -%}
  {%- set key = streamleap._string_literal(streamleap._relation_key(this)) -%}
  {%- set rows = run_query('select fingerprint, (select max(refresh_time) from ' ~ staging ~ ' where refresh_time > coalesce(s.watermark, '
      ~ "cast('1900-01-01 00:00:00' as timestamp))) from " ~ state ~ ' s where relation_name = ' ~ key).rows -%}
  {{ return(rows | length == 1 and rows[0][0] == fingerprint and rows[0][1] is none) }}
{%- endmacro %}

{#- Store the fingerprint the model was applied with (in its transaction, after the apply). -#}
{% macro store_fingerprint_sql(relation, fingerprint) -%}
update {{ streamleap.state_relation(relation) }} set fingerprint = {{ streamleap._string_literal(fingerprint) }}
where relation_name = {{ streamleap._string_literal(streamleap._relation_key(relation)) }}
{%- endmacro %}
