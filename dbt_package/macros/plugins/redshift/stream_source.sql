{#- Redshift's stream source: an external schema FROM KINESIS (dispatchers in common/stream_source.sql). -#}
{% macro redshift__create_stream_source_sql(stream_schema, stream_name, iam_role, region) -%}
  {#- IAM_ROLE default uses the role associated with the namespace / cluster. -#}
  create external schema if not exists {{ adapter.quote(stream_schema) }}
  from kinesis
  {%- if region %} region {{ streamleap._string_literal(region) }}{% endif %}
  iam_role {{ 'default' if (iam_role or 'default') == 'default' else streamleap._string_literal(iam_role) }}
{%- endmacro %}

{#- dbt-redshift falls back to postgres__/default__: BYTEA is on Redshift's list of unsupported
    PostgreSQL types ("if a query attempts to use an unsupported data type, including explicit or
    implicit casts, it will return an error"). Its binary type is VARBYTE (up to 16,777,216 bytes;
    VARBYTE alone is VARBYTE(64000), so the size is given).
    https://docs.aws.amazon.com/redshift/latest/dg/c_unsupported-postgresql-datatypes.html
    https://docs.aws.amazon.com/redshift/latest/dg/r_VARBYTE_type.html -#}
{% macro redshift___bytes_type() -%}varbyte(16777216){%- endmacro %}
