{#-
  The streaming view's DDL (materialization streaming_mv, staging/streaming_mv.sql), one operation
  each: the dispatcher and the local variant (DuckDB, Postgres: a plain view over the stand-in
  table, where an append is the refresh). Redshift's, a streaming materialized view, are in
  plugins/redshift/streaming_view.sql.
-#}
{% macro _streaming_view_type() -%}{{ return(adapter.dispatch('_streaming_view_type', 'streamleap')()) }}{%- endmacro %}

{% macro default___streaming_view_type() -%}{{ return('view') }}{%- endmacro %}

{#- A local stand-in view holds no data: re-creating it loses nothing. -#}
{% macro _rebuild_is_harmless() -%}{{ return(adapter.dispatch('_rebuild_is_harmless', 'streamleap')()) }}{%- endmacro %}

{% macro default___rebuild_is_harmless() -%}{{ return(true) }}{%- endmacro %}

{% macro create_streaming_view_sql(relation, cfg, sql) -%}
  {{ return(adapter.dispatch('create_streaming_view_sql', 'streamleap')(relation, cfg, sql)) }}
{%- endmacro %}

{% macro default__create_streaming_view_sql(relation, cfg, sql) -%}
create view {{ relation }} as
{{ sql }}
{%- endmacro %}

{% macro drop_streaming_view_sql(relation) -%}
  {{ return(adapter.dispatch('drop_streaming_view_sql', 'streamleap')(relation)) }}
{%- endmacro %}

{% macro default__drop_streaming_view_sql(relation) -%}drop view if exists {{ relation }}{%- endmacro %}

{% macro refresh_streaming_view_sql(relation) -%}
  {{ return(adapter.dispatch('refresh_streaming_view_sql', 'streamleap')(relation)) }}
{%- endmacro %}

{#- Locally the stand-in is the stream and the view reads it live: an append is the refresh. -#}
{% macro default__refresh_streaming_view_sql(relation) -%}{%- endmacro %}

{#- The statements that change the view in place (changed: the settings that differ), or none. -#}
{% macro alter_streaming_view_sql(relation, cfg, changed) -%}
  {{ return(adapter.dispatch('alter_streaming_view_sql', 'streamleap')(relation, cfg, changed)) }}
{%- endmacro %}

{% macro default__alter_streaming_view_sql(relation, cfg, changed) -%}{{ return([]) }}{%- endmacro %}
