{#-
  Projects generated before the package had materializations of its own (docs/decisions/0020)
  have mirror and set-aside models of materialized='incremental', incremental_strategy='streamleap_cdc',
  with post-hooks mirror_after_build / set_aside_after_build and, in the root project, the
  one-line macro get_incremental_streamleap_cdc_sql that calls the one below (dbt looks incremental
  strategies up in the root project only). They keep working: dbt's incremental materialization
  builds the table from the model's SQL (then the batch's empty shape, first_build_select), the
  post-hook applies everything the stream retains, and later runs apply through the strategy.
  Every one of them reads run_mode(), as the package's own materializations do.

  Models generated for streamleap_mirror while it wrapped dbt's incremental materialization still
  name incremental_strategy and the post-hooks: under the package's materializations the strategy
  is not used and the post-hooks render nothing. `streamleap generate` rewrites the models.
-#}
{% macro get_incremental_streamleap_cdc_sql(arg_dict) -%}
  {%- set run = streamleap.run_mode() -%}
  {%- set target = arg_dict['target_relation'] -%}
  {%- set batch = arg_dict['temp_relation'] -%}
  {%- if run.model == 'set_aside' -%}
    {{ return(streamleap.set_aside_apply_sql(target, batch, run)) }}
  {%- endif -%}
  {{ return(streamleap.apply_changes_sql(target, batch, streamleap.mirror_spec(), backfill=run.mode == 'backfill')) }}
{%- endmacro %}

{#- The model's SQL on a first build: the batch of everything the stream retains, which the
    package's materializations apply; dbt's incremental materialization creates the table from the
    SQL itself, so there it is the batch's empty shape (the post-hook applies the batch). -#}
{% macro first_build_select(batch_sql) -%}
  {%- if model.config.materialized == 'incremental' -%}{{ return(streamleap.empty_shape_sql(batch_sql)) }}{%- endif -%}
  {{ return(batch_sql) }}
{%- endmacro %}

{#- post_hook of a mirror model on dbt's incremental materialization: on a first build, the
    mirror's build steps (materialization.sql mirror_build_sql) over the table dbt just made. -#}
{% macro mirror_after_build(staging) -%}
  {%- if not execute or model.config.materialized != 'incremental' or streamleap.run_mode().mode != 'build' -%}
    {{ return('') }}
  {%- endif -%}
  {{ return(streamleap.mirror_build_sql(this, streamleap.run_mode(), streamleap.change_batch_sql(staging, streamleap.mirror_spec(), none))) }}
{%- endmacro %}

{#- post_hook of a set-aside model on dbt's incremental materialization (see mirror_after_build). -#}
{% macro set_aside_after_build(staging) -%}
  {%- if not execute or model.config.materialized != 'incremental' or streamleap.run_mode().mode != 'build' -%}
    {{ return('') }}
  {%- endif -%}
  {{ return(streamleap.set_aside_build_sql(this, streamleap.run_mode(), streamleap.set_aside_batch_sql(staging, none))) }}
{%- endmacro %}
