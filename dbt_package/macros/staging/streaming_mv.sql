{#-
  materialized='streaming_mv': the staging view over a stream.

  Shaped like dbt's own materialized_view materialization: create when missing, refresh on
  later runs, compare the configuration with what was built (on_configuration_change: apply |
  continue | fail). Dropping a streaming view re-reads what the stream still retains and loses
  what has expired, so a rebuild (--full-refresh, or a change of dist/sort/backup or of the SQL)
  is refused unless the user sets the variable streamleap_allow_stream_rebuild: true.

  Config: stream_schema, stream_name (required); iam_role ('default'), region; auto_refresh
  (true), backup (true), dist (a column name, 'even' or 'all'), sort (column or list).
  On DuckDB and Postgres the view is a plain view over the local stand-in, where an append
  with a refresh_time is the refresh; the same guard applies. The view's DDL per target:
  common/streaming_view.sql (the dispatchers, the local view), plugins/redshift/streaming_view.sql.
-#}
{% materialization streaming_mv, default %}
  {%- set existing_relation = load_cached_relation(this) -%}
  {%- set target_relation = this.incorporate(type=streamleap._streaming_view_type()) -%}
  {%- set cfg = streamleap.streaming_mv_config() -%}
  {%- set fingerprint = streamleap._streaming_mv_fingerprint(cfg, sql) -%}
  {%- set allow_rebuild = var('streamleap_allow_stream_rebuild', false) in [true, 'true', 'True', 1, '1'] -%}
  {%- set on_change = config.get('on_configuration_change', 'apply') -%}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}

  {% set plan = [] %}
  {% set stored = none %}
  {% if existing_relation is none %}
    {% do plan.append(streamleap.create_streaming_view_sql(target_relation, cfg, sql)) %}
  {% elif should_full_refresh() %}
    {% if not allow_rebuild %}
      {{ exceptions.raise_compiler_error(streamleap._rebuild_refusal(target_relation, "--full-refresh was requested")) }}
    {% endif %}
    {% do plan.append(streamleap.drop_streaming_view_sql(existing_relation)) %}
    {% do plan.append(streamleap.create_streaming_view_sql(target_relation, cfg, sql)) %}
  {% else %}
    {% set stored = streamleap.read_state(target_relation) %}
    {% set changes = streamleap._streaming_mv_changes(stored, cfg, fingerprint) %}
    {% if changes.rebuild %}
      {% if on_change == 'fail' %}
        {{ exceptions.raise_compiler_error("streaming_mv " ~ target_relation ~ ": configuration changed (" ~ changes.rebuild | join(', ') ~ ") and on_configuration_change is 'fail'") }}
      {% elif on_change == 'continue' %}
        {% do exceptions.warn("streaming_mv " ~ target_relation ~ ": configuration changed (" ~ changes.rebuild | join(', ') ~ "); on_configuration_change is 'continue', so the view is refreshed unchanged") %}
        {% set fingerprint = stored.fingerprint %}
      {% elif not allow_rebuild and not streamleap._rebuild_is_harmless() %}
        {{ exceptions.raise_compiler_error(streamleap._rebuild_refusal(target_relation, "the configuration changed (" ~ changes.rebuild | join(', ') ~ ") and that needs a rebuild")) }}
      {% else %}
        {% do plan.append(streamleap.drop_streaming_view_sql(existing_relation)) %}
        {% do plan.append(streamleap.create_streaming_view_sql(target_relation, cfg, sql)) %}
      {% endif %}
    {% else %}
      {% for statement in streamleap.alter_streaming_view_sql(target_relation, cfg, changes.alter) %}
        {% do plan.append(statement) %}
      {% endfor %}
    {% endif %}
    {% if not plan %}
      {% do plan.append(streamleap.refresh_streaming_view_sql(target_relation)) %}
    {% endif %}
  {% endif %}
  {% set plan = plan | map('trim') | reject('equalto', '') | list %}
  {% set builds = [] %}
  {% for statement in plan if statement.lower().startswith('create ') %}{% do builds.append(statement) %}{% endfor %}
  {% if builds %}
    {#- the stream source (external schema / local stand-in) is made with the view, not each run -#}
    {% do plan.insert(0, streamleap.create_stream_source_sql(cfg.stream_schema, cfg.stream_name, cfg.iam_role, cfg.region, cfg.stream_kind, cfg.kafka)) %}
  {% endif %}
  {% if builds or stored is none or stored.fingerprint != fingerprint %}
    {% do plan.append(streamleap.upsert_fingerprint_sql(target_relation, fingerprint)) %}
  {% endif %}
  {#- the view's own session: on Redshift an upper-case stream name ("ShopCDC") and the quoted
      names in the view need enable_case_sensitive_identifier where the view is created (the
      staging model has no pre-hook). https://docs.aws.amazon.com/redshift/latest/dg/r_enable_case_sensitive_identifier.html -#}
  {% set setup = streamleap.session_setup() | trim %}
  {% if plan and setup %}{% do plan.insert(0, setup) %}{% endif %}

  {% if plan %}
    {% call statement('main') %}
      {{ plan | join(';\n') }}
    {% endcall %}
  {% else %}
    {#- locally an append to the stand-in is the refresh: nothing to run -#}
    {% do store_raw_result(name='main', message='streaming view ' ~ target_relation ~ ' up to date', code='OK', rows_affected='-1') %}
  {% endif %}

  {#- the stream's new records applied to the mirrors of this run, read once (cycle.sql) -#}
  {% set cycle_ran = existing_relation is not none and not builds and streamleap.run_stream_cycle(graph.nodes[model.unique_id]) %}

  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {% if plan or pre_hooks or post_hooks or cycle_ran %}{% do adapter.commit() %}{% endif %}
  {{ run_hooks(post_hooks, inside_transaction=False) }}
  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}

{% macro _rebuild_refusal(relation, why) -%}
  {{- return("streaming_mv " ~ relation ~ ": refusing to drop and re-create it: " ~ why ~ ". Dropping a streaming view re-reads only what the stream still retains (older records are lost) and re-delivers the rest. If that is what you want, run again with --vars '{streamleap_allow_stream_rebuild: true}'.") -}}
{%- endmacro %}

{#- The view's configuration, validated. -#}
{% macro streaming_mv_config() -%}
  {%- set sort = config.get('sort', none) -%}
  {%- set sort = [sort] if sort is string else (sort or []) -%}
  {%- set cfg = {
      'stream_schema': config.require('stream_schema'),
      'stream_name': config.require('stream_name'),
      'iam_role': config.get('iam_role', 'default'),
      'region': config.get('region', none),
      'auto_refresh': config.get('auto_refresh', true) in [true, 'true', 'yes', 'YES'],
      'backup': config.get('backup', true) in [true, 'true', 'yes', 'YES'],
      'dist': config.get('dist', none),
      'sort': sort,
      'stream_kind': config.get('stream_kind', 'kinesis'),
      'kafka': {'uri': config.get('kafka_uri', none), 'authentication': config.get('kafka_authentication', none),
                'authentication_arn': config.get('kafka_authentication_arn', none), 'secret_arn': config.get('kafka_secret_arn', none),
                'msk_cluster_arn': config.get('msk_cluster_arn', none)},
  } -%}
  {%- if cfg.stream_kind not in ['kinesis', 'kafka'] -%}
    {{ exceptions.raise_compiler_error("streaming_mv " ~ this ~ ": stream_kind " ~ cfg.stream_kind ~ " is not kinesis or kafka") }}
  {%- endif -%}
  {%- if cfg.kafka.authentication not in [none, 'none', 'iam', 'mtls'] -%}
    {{ exceptions.raise_compiler_error("streaming_mv " ~ this ~ ": kafka_authentication " ~ cfg.kafka.authentication ~ " is not none, iam or mtls") }}
  {%- endif -%}
  {%- for col in ([cfg.dist] if cfg.dist and cfg.dist | lower not in ['even', 'all', 'auto'] else []) + sort -%}
    {%- if col | lower in ['payload', 'raw_data'] -%}
      {{ exceptions.raise_compiler_error("streaming_mv " ~ this ~ ": " ~ col ~ " cannot be a dist or sort key (SUPER and VARBYTE columns cannot be keys); use refresh_time, shard_id or partition_key") }}
    {%- endif -%}
  {%- endfor -%}
  {{ return(cfg) }}
{%- endmacro %}

{#- What the view is built with, the settings a state row remembers (its fingerprint), and what a
    change of each needs, as dbt-adapters' relation configs and changesets have it for a
    materialized view: 'rebuild' (drop + create) or 'alter' (in place, alter_streaming_view_sql).
    In this order in the fingerprint. -#}
{% macro _streaming_view_settings() -%}
  {{ return([('sql', 'rebuild'), ('backup', 'rebuild'), ('dist', 'alter'), ('sort', 'alter'), ('auto_refresh', 'alter')]) }}
{%- endmacro %}

{#- The view's settings (cfg: streaming_mv_config) as the fingerprint holds them: the SQL by its MD5,
    the rest as written ('True', a column name or '', columns joined by commas). -#}
{% macro streaming_view_relation_config(cfg, sql) -%}
  {{ return({'sql': local_md5(sql | trim), 'backup': cfg.backup ~ '', 'dist': cfg.dist or '', 'sort': cfg.sort | join(','),
             'auto_refresh': cfg.auto_refresh ~ ''}) }}
{%- endmacro %}

{% macro _streaming_mv_fingerprint(cfg, sql) -%}
  {%- set config = streamleap.streaming_view_relation_config(cfg, sql) -%}
  {%- set parts = [] -%}
  {%- for name, _ in streamleap._streaming_view_settings() %}{% do parts.append(name ~ '=' ~ config[name]) %}{% endfor -%}
  {{- return(parts | join(';')) -}}
{%- endmacro %}

{#- The settings a stored fingerprint holds (none without one). -#}
{% macro _stored_streaming_view_config(fingerprint) -%}
  {%- if not fingerprint %}{{ return(none) }}{% endif -%}
  {%- set config = {} -%}
  {%- for part in fingerprint.split(';') %}{% set kv = part.split('=', 1) %}{% do config.update({kv[0]: kv[1]}) %}{% endfor -%}
  {{ return(config) }}
{%- endmacro %}

{#- Which settings differ from what the view was built with (stored: its state row), by what they
    need: {'rebuild': [...], 'alter': [...]}; nothing when it was never recorded. -#}
{% macro _streaming_mv_changes(stored, cfg, fingerprint) -%}
  {%- set result = {'rebuild': [], 'alter': []} -%}
  {%- set old = streamleap._stored_streaming_view_config(stored.fingerprint if stored is not none else none) -%}
  {%- if old is none %}{{ return(result) }}{% endif -%}
  {%- set new = streamleap._stored_streaming_view_config(fingerprint) -%}
  {%- for name, change in streamleap._streaming_view_settings() if old.get(name) != new.get(name) -%}
    {%- do result[change].append(name) -%}
  {%- endfor -%}
  {{ return(result) }}
{%- endmacro %}

