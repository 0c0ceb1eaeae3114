{#-
  materialized='streamleap_set_aside': the set-aside model of a stream (set_aside.sql), built and
  applied by the same steps as a mirror (materialize_streamleap_model, mirror/materialization.sql)
  and decided by the same run_mode(): nothing new, a first build (an empty table, then every
  record the stream retains judged), or the records past its watermark appended.
-#}
{% materialization streamleap_set_aside, default %}
  {{ return(streamleap.materialize_streamleap_model(streamleap.run_mode(), streamleap.set_aside_build_sql, streamleap.set_aside_apply_sql)) }}
{% endmaterialization %}

{#- A set-aside model's first build, after its table was made: every record the stream retains
    (batch_sql) judged and kept. -#}
{% macro set_aside_build_sql(target, run, batch_sql) -%}
  {%- set batch = streamleap.initial_batch_relation(target) -%}
{{ streamleap.initial_build_sql(target, batch, batch_sql, streamleap.apply_set_aside_sql(target, batch)) }}
{%- endmacro %}

{#- A set-aside model's append of the batch in relation batch. A table built before its layout's
    current version (run_mode's config_changed) gets the columns it lacks first. -#}
{% macro set_aside_apply_sql(target, batch, run) -%}
  {{ return((streamleap.upgrade_set_aside_sql(target) if run.config_changed else '')
            ~ streamleap.apply_set_aside_sql(target, batch, store_fingerprint=run.config_changed)) }}
{%- endmacro %}
