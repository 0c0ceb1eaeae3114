{#- dbt looks incremental strategies up in the root project: this hands streamleap_cdc to the package. -#}
{% macro get_incremental_streamleap_cdc_sql(arg_dict) -%}
  {{ return(streamleap.get_incremental_streamleap_cdc_sql(arg_dict)) }}
{%- endmacro %}
