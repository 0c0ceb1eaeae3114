{#- Redshift: the statements' own BEGIN/COMMIT and the state table's LOCK (dispatchers and why in
    common/transaction.sql). -#}
{% macro redshift__begin_atomic() -%}begin;{%- endmacro %}

{% macro redshift__end_atomic() -%};
commit{%- endmacro %}

{% macro redshift__lock_state_sql(relation) -%}lock {{ streamleap.state_relation(relation) }};{%- endmacro %}

{% macro redshift__locked_state_sql(relation, statements) -%}
{{ streamleap.begin_atomic() }}
{{ streamleap.lock_state_sql(relation) }}
{{ statements }}
{{- streamleap.end_atomic() }}
{%- endmacro %}
