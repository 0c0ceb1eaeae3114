{#- Postgres's stand-in stream (dispatchers in common/stream_source.sql). -#}
{% macro postgres___local_stream_functions(stream_schema, stream_name) -%};
  {#- every consumer reads refresh_time > its watermark: an index keeps that to the new rows
      (DuckDB's zone maps do the same for an append-only table) -#}
  create index if not exists {{ streamleap.quote_ident(stream_name ~ '_refresh_time') }}
    on {{ streamleap.stream_relation(stream_schema, stream_name) }} (refresh_time);
  create or replace function {{ adapter.quote(stream_schema) }}.streamleap_try_jsonb(raw bytea) returns jsonb
  language plpgsql immutable as $fn$
  begin
    return convert_from(raw, 'UTF8')::jsonb;
  exception when others then
    return null;
  end $fn$;
  create or replace function {{ adapter.quote(stream_schema) }}.streamleap_is_json(t text) returns boolean
  language plpgsql immutable as $fn$
  begin
    perform t::jsonb;
    return true;
  exception when others then
    return false;
  end $fn$
{%- endmacro %}
