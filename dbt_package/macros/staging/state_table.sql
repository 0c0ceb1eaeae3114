{#-
  One small table per schema holds what streamleap must remember between runs, one row per
  relation (relation_name: _relation_key), written in the same transaction as the rows it
  describes. What each column holds, by the model's kind:

    column            mirror / set-aside model                    streaming view
    watermark         refresh_time of the last record read        NULL
    fingerprint       what the relation was last applied with:    its settings (streaming_mv.sql
                      model_fingerprint (run_mode.sql)             _streaming_view_settings)
    updated_at        when the watermark moved                    when the row was written
    applied_rows      changes applied / records set aside by      NULL
                      the last run
    newest_commit_ts  source commit time of the newest change     NULL
                      applied so far (mirrors)

  applied_rows and newest_commit_ts are what `streamleap run` and `streamleap status` report
  (streamleap/contract.py names the columns for the Python side). The watermark and the
  fingerprint stay in one row: every run of a model reads both in its one query (run_mode), and
  a run that changes both writes them in one transaction under one LOCK on Redshift
  (docs/decisions/0020).
-#}
{% macro state_relation(schema_relation) -%}
  {{ return(api.Relation.create(database=schema_relation.database, schema=schema_relation.schema, identifier='streamleap_state', type='table')) }}
{%- endmacro %}

{% macro create_state_table_sql(schema_relation) -%}
create table if not exists {{ streamleap.state_relation(schema_relation) }} (
  relation_name varchar(1024),
  watermark timestamp,
  fingerprint varchar(4096),
  updated_at timestamp,
  applied_rows bigint,
  newest_commit_ts timestamp
)
{%- endmacro %}

{% macro _relation_key(relation) -%}
  {{- return(relation.render() | replace('"', '')) -}}
{%- endmacro %}

{#- Returns the stored row for relation as a dict, or none when missing (table or row). -#}
{% macro read_state(relation) -%}
  {% set state = streamleap.state_relation(relation) %}
  {% if not execute or load_relation(state) is none %}{{ return(none) }}{% endif %}
  {% set rows = run_query("select watermark, fingerprint from " ~ state ~ " where relation_name = " ~ streamleap._string_literal(streamleap._relation_key(relation))) %}
  {% if rows | length == 0 %}{{ return(none) }}{% endif %}
  {{ return({'watermark': rows[0][0], 'fingerprint': rows[0][1]}) }}
{%- endmacro %}

{% macro upsert_fingerprint_sql(relation, fingerprint) -%}
{%- set state = streamleap.state_relation(relation) -%}
{%- set key = streamleap._string_literal(streamleap._relation_key(relation)) -%}
{{ streamleap.create_state_table_sql(relation) }};
{#- the streaming view runs before its mirrors, which may run at once: each would create it -#}
{{ streamleap.create_truncates_table_sql(relation) }};
{{ streamleap.locked_state_sql(relation, 'delete from ' ~ state ~ ' where relation_name = ' ~ key ~ ';\ninsert into ' ~ state
   ~ ' (relation_name, watermark, fingerprint, updated_at)\nvalues (' ~ key ~ ', null, ' ~ streamleap._string_literal(fingerprint) ~ ', '
   ~ dbt.current_timestamp() ~ ')') }}
{%- endmacro %}

{#- Store the fingerprint the model was applied with (in its transaction, after the apply). -#}
{% macro store_fingerprint_sql(relation, fingerprint) -%}
update {{ streamleap.state_relation(relation) }} set fingerprint = {{ streamleap._string_literal(fingerprint) }}
where relation_name = {{ streamleap._string_literal(streamleap._relation_key(relation)) }}
{%- endmacro %}

