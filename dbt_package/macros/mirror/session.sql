{#- Run first in a mirror's or set-aside model's transaction by their materializations (and by the
    streaming view's); models generated before those materializations have it as their pre_hook.
    Redshift folds identifiers (and SUPER navigation keys) to lower case unless
    enable_case_sensitive_identifier is on; source column names and DMS's JSON keys keep their case.
    https://docs.aws.amazon.com/redshift/latest/dg/r_enable_case_sensitive_identifier.html
    Postgres: a batch's guarded CASE expressions (one per value, values.sql) are large, and once the
    planner's estimate of the stand-in's rows passes jit_above_cost, LLVM compiles them for every
    run: more than the query itself (100,000 records: 22,000/s with JIT off, 9,700/s with it on,
    `bench/run.py --parts throughput`). Off for the model's own transaction only (SET LOCAL).
    https://www.postgresql.org/docs/current/jit-decision.html -#}
{% macro session_setup() -%}{{ return(adapter.dispatch('session_setup', 'streamleap')()) }}{%- endmacro %}
{% macro default__session_setup() -%}{%- endmacro %}
{% macro postgres__session_setup() -%}set local jit = off{%- endmacro %}
{#- dbt-redshift falls back to postgres__ macros: Redshift has no JIT setting -#}
{% macro redshift__session_setup() -%}set enable_case_sensitive_identifier to true{%- endmacro %}

{#- The same settings for the session of a `streamleap run` runner's own connection, set once in the
    cycle plan's setup (cycle.sql): Redshift's case-sensitive identifiers, which the planned
    cycle's quoted names and SUPER paths need as much as a model's run; Postgres without JIT for
    the session (the connection is the runner's only). -#}
{% macro cycle_session_sql() -%}{{ return(adapter.dispatch('cycle_session_sql', 'streamleap')()) }}{%- endmacro %}
{% macro default__cycle_session_sql() -%}{%- endmacro %}
{% macro postgres__cycle_session_sql() -%}set jit = off{%- endmacro %}
{% macro redshift__cycle_session_sql() -%}set enable_case_sensitive_identifier to true{%- endmacro %}
