{#-
  How the package's statements commit together: the dispatchers and the default (DuckDB, Postgres:
  the statements run in the model's or the cycle's transaction, nothing to add). Redshift's, with a
  block and a table lock of their own, are in plugins/redshift/transaction.sql.
-#}
{#- Redshift: dbt-redshift connects with autocommit and, behind the behavior flag
    redshift_skip_autocommit_transaction_statements, sends no BEGIN. The apply statements must
    commit together, so they carry their own block there (a BEGIN inside an open transaction is
    only a warning). -#}
{% macro begin_atomic() -%}{{ return(adapter.dispatch('begin_atomic', 'streamleap')()) }}{%- endmacro %}

{% macro default__begin_atomic() -%}{%- endmacro %}

{% macro end_atomic() -%}{{ return(adapter.dispatch('end_atomic', 'streamleap')()) }}{%- endmacro %}

{% macro default__end_atomic() -%}{%- endmacro %}

{#-
  Concurrent writers of the state table. Every transaction that writes it reads it too (the
  watermark row, by relation_name), and the generated Redshift profile runs 4 threads, so two
  models committing at once made Redshift cancel one: "ERROR: 1023 Serializable isolation
  violation". Redshift checks serializability per table, not per row, so one row per model does
  not avoid it. Its documented remedy: "Force serialization by having each session lock all
  tables" -- LOCK as the transaction's first statement; the lock is held until the transaction
  ends, so writers of the state table take turns (each holds it for its apply only).
  https://docs.aws.amazon.com/redshift/latest/dg/c_serial_isolation-serializable-isolation-troubleshooting.html
  https://docs.aws.amazon.com/redshift/latest/dg/r_LOCK.html
  Postgres (read committed; each model writes only its own row, so row locks never meet) and
  DuckDB (one thread in the generated profile) need no table lock: a LOCK there would only
  serialize models that do not conflict.
-#}
{% macro lock_state_sql(relation) -%}{{ return(adapter.dispatch('lock_state_sql', 'streamleap')(relation)) }}{%- endmacro %}

{% macro default__lock_state_sql(relation) -%}{%- endmacro %}

{#- statements (that write the state table) as one transaction that locks it first, on Redshift;
    as they are elsewhere (they run in the model's transaction) -#}
{% macro locked_state_sql(relation, statements) -%}
  {{- return(adapter.dispatch('locked_state_sql', 'streamleap')(relation, statements)) -}}
{%- endmacro %}

{% macro default__locked_state_sql(relation, statements) -%}{{ statements }}{%- endmacro %}
