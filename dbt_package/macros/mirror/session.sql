{#- pre_hook of mirror models. Redshift folds identifiers (and SUPER navigation keys) to lower
    case unless enable_case_sensitive_identifier is on; source column names and DMS's JSON keys
    keep their case. https://docs.aws.amazon.com/redshift/latest/dg/r_enable_case_sensitive_identifier.html -#}
{% macro session_setup() -%}{{ return(adapter.dispatch('session_setup', 'streamleap')()) }}{%- endmacro %}
{% macro default__session_setup() -%}{%- endmacro %}
{% macro redshift__session_setup() -%}set enable_case_sensitive_identifier to true{%- endmacro %}
