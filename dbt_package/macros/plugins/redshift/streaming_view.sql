{#-
  Redshift's streaming view: a materialized view over the external schema's stream, AUTO REFRESH,
  with its own dist/sort/backup options, changed in place where ALTER MATERIALIZED VIEW can
  (dispatchers in common/streaming_view.sql).
-#}
{% macro redshift___streaming_view_type() -%}{{ return('materialized_view') }}{%- endmacro %}

{% macro redshift___rebuild_is_harmless() -%}{{ return(false) }}{%- endmacro %}

{% macro redshift__create_streaming_view_sql(relation, cfg, sql) -%}
create materialized view {{ relation }}
{%- if not cfg.backup %} backup no{% endif %}
{%- if cfg.dist %}{% if cfg.dist | lower in ['even', 'all', 'auto'] %} diststyle {{ cfg.dist | lower }}{% else %} diststyle key distkey ({{ streamleap.quote_ident(cfg.dist) }}){% endif %}{% endif %}
{%- if cfg.sort %} sortkey ({% for c in cfg.sort %}{{ streamleap.quote_ident(c) }}{{ ', ' if not loop.last }}{% endfor %}){% endif %}
 auto refresh {{ 'yes' if cfg.auto_refresh else 'no' }}
as
{{ sql }}
{%- endmacro %}

{% macro redshift__drop_streaming_view_sql(relation) -%}drop materialized view if exists {{ relation }}{%- endmacro %}

{% macro redshift__refresh_streaming_view_sql(relation) -%}refresh materialized view {{ relation }}{%- endmacro %}

{#- In-place changes: https://docs.aws.amazon.com/redshift/latest/dg/r_ALTER_MATERIALIZED_VIEW.html -#}
{% macro redshift__alter_streaming_view_sql(relation, cfg, changed) -%}
  {%- set out = [] -%}
  {%- if 'auto_refresh' in changed -%}
    {%- do out.append('alter materialized view ' ~ relation ~ ' auto refresh ' ~ ('yes' if cfg.auto_refresh else 'no')) -%}
  {%- endif -%}
  {%- if 'dist' in changed -%}
    {%- if not cfg.dist or cfg.dist | lower == 'auto' -%}{%- do out.append('alter materialized view ' ~ relation ~ ' alter diststyle auto') -%}
    {%- elif cfg.dist | lower in ['even', 'all'] -%}{%- do out.append('alter materialized view ' ~ relation ~ ' alter diststyle ' ~ cfg.dist | lower) -%}
    {%- else -%}{%- do out.append('alter materialized view ' ~ relation ~ ' alter distkey ' ~ streamleap.quote_ident(cfg.dist)) -%}
    {%- endif -%}
  {%- endif -%}
  {%- if 'sort' in changed -%}
    {%- if cfg.sort -%}
      {%- set cols = [] -%}{%- for c in cfg.sort %}{% do cols.append(streamleap.quote_ident(c)) %}{% endfor -%}
      {%- do out.append('alter materialized view ' ~ relation ~ ' alter sortkey (' ~ cols | join(', ') ~ ')') -%}
    {%- else -%}{%- do out.append('alter materialized view ' ~ relation ~ ' alter sortkey none') -%}
    {%- endif -%}
  {%- endif -%}
  {{ return(out) }}
{%- endmacro %}
