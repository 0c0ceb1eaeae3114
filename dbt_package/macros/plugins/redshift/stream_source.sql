{#- Redshift's stream source: an external schema FROM KINESIS (dispatchers in common/stream_source.sql). -#}
{#- A Kafka topic's: FROM KAFKA with the brokers' URI and AUTHENTICATION none | iam | mtls (mtls
    with AUTHENTICATION_ARN, an ACM certificate, or SECRET_ARN), or the older FROM MSK ...
    CLUSTER_ARN form when msk_cluster_arn is set
    (https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_EXTERNAL_SCHEMA.html). -#}
{% macro redshift__create_stream_source_sql(stream_schema, stream_name, iam_role, region, stream_kind='kinesis', kafka={}) -%}
  {#- IAM_ROLE default uses the role associated with the namespace / cluster. -#}
  {%- set role = 'default' if (iam_role or 'default') == 'default' else streamleap._string_literal(iam_role) -%}
  {%- set lit = streamleap._string_literal -%}
  {%- if stream_kind == 'kafka' -%}
  {%- set auth = kafka.get('authentication') or 'iam' -%}
  {%- if not kafka.get('uri') and not kafka.get('msk_cluster_arn') -%}
    {{ exceptions.raise_compiler_error("Kafka topic " ~ stream_name ~ ": the external schema " ~ stream_schema ~ " needs the brokers: set the staging model's kafka_uri (or msk_cluster_arn); streamleap generate --kafka-uri writes it") }}
  {%- endif -%}
  {%- if auth == 'mtls' and not kafka.get('authentication_arn') and not kafka.get('secret_arn') -%}
    {{ exceptions.raise_compiler_error("Kafka topic " ~ stream_name ~ ": kafka_authentication mtls needs kafka_authentication_arn (an ACM certificate) or kafka_secret_arn") }}
  {%- endif -%}
  create external schema if not exists {{ adapter.quote(stream_schema) }}
  {%- if kafka.get('msk_cluster_arn') %}
  from msk
  iam_role {{ role }}
  authentication {{ auth }}
  cluster_arn {{ lit(kafka.msk_cluster_arn) }}
  {%- else %}
  from kafka
  {%- if auth != 'none' %}
  iam_role {{ role }}
  {%- endif %}
  authentication {{ auth }}
  {%- if kafka.get('authentication_arn') %}
  authentication_arn {{ lit(kafka.authentication_arn) }}
  {%- elif kafka.get('secret_arn') %}
  secret_arn {{ lit(kafka.secret_arn) }}
  {%- endif %}
  uri {{ lit(kafka.get('uri') or '') }}
  {%- endif %}
  {%- else -%}
  create external schema if not exists {{ adapter.quote(stream_schema) }}
  from kinesis
  {%- if region %} region {{ lit(region) }}{% endif %}
  iam_role {{ role }}
  {%- endif -%}
{%- endmacro %}

{#- dbt-redshift falls back to postgres__/default__: BYTEA is on Redshift's list of unsupported
    PostgreSQL types ("if a query attempts to use an unsupported data type, including explicit or
    implicit casts, it will return an error"). Its binary type is VARBYTE (up to 16,777,216 bytes;
    VARBYTE alone is VARBYTE(64000), so the size is given).
    https://docs.aws.amazon.com/redshift/latest/dg/c_unsupported-postgresql-datatypes.html
    https://docs.aws.amazon.com/redshift/latest/dg/r_VARBYTE_type.html -#}
{% macro redshift___bytes_type() -%}varbyte(16777216){%- endmacro %}
