with new_rows as (
  select refresh_time, shard_id, sequence_number, partition_key, payload, raw_data
  from "dev"."analytics"."stg_dbz_cdc"
  where refresh_time > cast('1900-01-01 00:00:00' as timestamp)
),
records as (
select _sl_named.*,
  _sl_schema as schema_name,
  _sl_table as table_name,
  _sl_op as operation,
  _sl_record_type as record_type,
  _sl_trid as _sl_trid_text
from (
select _sl_read.*,
  case _sl_d_op when 'c' then 'insert' when 'u' then 'update' when 'd' then 'delete' when 'r' then 'load' when 't' then 'truncate-table' when 'm' then 'message' else coalesce(_sl_d_op, case when _sl_d_status is not null then 'transaction' end) end as _sl_op,
  case when _sl_d_op in ('t', 'm') or (_sl_d_op is null and _sl_d_status in ('BEGIN', 'END')) then 'control' when _sl_d_op is not null then 'data' end as _sl_record_type,
  case when (_sl_d_ts_us ~ '^(-?[0-9]{1,18})$') then case when cast(_sl_d_ts_us as bigint) between -62135596800000000 and 253402300799999999
       then replace(to_char(dateadd(microsecond, cast(cast(_sl_d_ts_us as bigint) % 1000000 as integer),
          dateadd(second, cast((cast(_sl_d_ts_us as bigint) / 1000000) % 86400 as integer),
            dateadd(day, cast(cast(_sl_d_ts_us as bigint) / 86400000000 as integer), timestamp '1970-01-01 00:00:00'))), 'YYYY-MM-DD HH24:MI:SS.US'), ' ', 'T')
     else _sl_d_ts_ms end when (_sl_d_ts_ms ~ '^(-?[0-9]{1,15})$') then case when cast(_sl_d_ts_ms || '000' as bigint) between -62135596800000000 and 253402300799999999
       then replace(to_char(dateadd(microsecond, cast(cast(_sl_d_ts_ms || '000' as bigint) % 1000000 as integer),
          dateadd(second, cast((cast(_sl_d_ts_ms || '000' as bigint) / 1000000) % 86400 as integer),
            dateadd(day, cast(cast(_sl_d_ts_ms || '000' as bigint) / 86400000000 as integer), timestamp '1970-01-01 00:00:00'))), 'YYYY-MM-DD HH24:MI:SS.US'), ' ', 'T')
     else _sl_d_ts_ms end else coalesce(_sl_d_ts_ms, _sl_d_ts_us) end as _sl_commit_text,
  case when (_sl_d_env_ts ~ '^(-?[0-9]{1,15})$') then case when cast(_sl_d_env_ts || '000' as bigint) between -62135596800000000 and 253402300799999999
       then replace(to_char(dateadd(microsecond, cast(cast(_sl_d_env_ts || '000' as bigint) % 1000000 as integer),
          dateadd(second, cast((cast(_sl_d_env_ts || '000' as bigint) / 1000000) % 86400 as integer),
            dateadd(day, cast(cast(_sl_d_env_ts || '000' as bigint) / 86400000000 as integer), timestamp '1970-01-01 00:00:00'))), 'YYYY-MM-DD HH24:MI:SS.US'), ' ', 'T')
     else _sl_d_env_ts end else _sl_d_env_ts end as _sl_ts_text,
  case when _sl_d_lsn is not null then
       case when not (_sl_d_lsn ~ '^([0-9]{1,20})$') then 'x'
            when _sl_d_sequence is not null and (split_part(translate(_sl_d_sequence, '[]" ', ''), ',', 1) ~ '^([0-9]{1,20})$') then lpad(split_part(translate(_sl_d_sequence, '[]" ', ''), ',', 1), 20, '0') || lpad(_sl_d_lsn, 20, '0')
            else '00000000000000000001' || lpad(_sl_d_lsn, 20, '0') end
     when _sl_d_file <> '' then
       case when (reverse(split_part(reverse(_sl_d_file), '.', 1)) ~ '^([0-9]{1,10})$') and (coalesce(_sl_d_pos, '') ~ '^([0-9]{1,10})$')
                 and (coalesce(_sl_d_row, '0') ~ '^([0-9]{1,20})$')
              then lpad(reverse(split_part(reverse(_sl_d_file), '.', 1)), 10, '0') || lpad(_sl_d_pos, 10, '0') || lpad(coalesce(_sl_d_row, '0'), 20, '0')
            else 'x' end
end as _sl_trid,
  _sl_d_table as _sl_table,
  coalesce(_sl_d_schema, _sl_d_db) as _sl_schema,
  case when _sl_d_op = 'd' then _sl_s1_db1 else _sl_s1_da1 end as _sl_s1_t1,
  case when _sl_s1_x2_d is not null then case when (substr(_sl_s1_x2_h, 1, 1) in ('8', '9', 'a', 'b', 'c', 'd', 'e', 'f')) then '-' else '' end || substr((repeat('0', greatest(0, 2 + 1 - length(_sl_s1_x2_d))) || _sl_s1_x2_d), 1, length((repeat('0', greatest(0, 2 + 1 - length(_sl_s1_x2_d))) || _sl_s1_x2_d)) - 2) || '.' || substr((repeat('0', greatest(0, 2 + 1 - length(_sl_s1_x2_d))) || _sl_s1_x2_d), length((repeat('0', greatest(0, 2 + 1 - length(_sl_s1_x2_d))) || _sl_s1_x2_d)) - 2 + 1) else _sl_s1_da2 end as _sl_s1_t2,
  case when _sl_s1_x3_d is not null then case when (substr(_sl_s1_x3_h, 1, 1) in ('8', '9', 'a', 'b', 'c', 'd', 'e', 'f')) then '-' else '' end || substr((repeat('0', greatest(0, _sl_s1_x3_s + 1 - length(_sl_s1_x3_d))) || _sl_s1_x3_d), 1, length((repeat('0', greatest(0, _sl_s1_x3_s + 1 - length(_sl_s1_x3_d))) || _sl_s1_x3_d)) - _sl_s1_x3_s) || '.' || substr((repeat('0', greatest(0, _sl_s1_x3_s + 1 - length(_sl_s1_x3_d))) || _sl_s1_x3_d), length((repeat('0', greatest(0, _sl_s1_x3_s + 1 - length(_sl_s1_x3_d))) || _sl_s1_x3_d)) - _sl_s1_x3_s + 1) else _sl_s1_da3 end as _sl_s1_t3,
  case when case when (_sl_s1_da4 ~ '^(-?[0-9]{1,7})$') then cast(_sl_s1_da4 as integer) between -719162 and 2932896 else false end then to_char(dateadd(day, cast(_sl_s1_da4 as integer), date '1970-01-01'), 'YYYY-MM-DD') else _sl_s1_da4 end as _sl_s1_t4,
  case when case when (_sl_s1_da5 ~ '^(-?[0-9]{1,15})$') then cast(_sl_s1_da5 || '000' as bigint) between -62135596800000000 and 253402300799999999 else false end then to_char(dateadd(microsecond, cast(cast(_sl_s1_da5 || '000' as bigint) % 1000000 as integer),
          dateadd(second, cast((cast(_sl_s1_da5 || '000' as bigint) / 1000000) % 86400 as integer),
            dateadd(day, cast(cast(_sl_s1_da5 || '000' as bigint) / 86400000000 as integer), timestamp '1970-01-01 00:00:00'))), 'YYYY-MM-DD HH24:MI:SS.US') else _sl_s1_da5 end as _sl_s1_t5,
  case when case when (_sl_s1_da6 ~ '^(-?[0-9]{1,18})$') then cast(_sl_s1_da6 as bigint) between -62135596800000000 and 253402300799999999 else false end then to_char(dateadd(microsecond, cast(cast(_sl_s1_da6 as bigint) % 1000000 as integer),
          dateadd(second, cast((cast(_sl_s1_da6 as bigint) / 1000000) % 86400 as integer),
            dateadd(day, cast(cast(_sl_s1_da6 as bigint) / 86400000000 as integer), timestamp '1970-01-01 00:00:00'))), 'YYYY-MM-DD HH24:MI:SS.US') else _sl_s1_da6 end as _sl_s1_t6,
  _sl_s1_da7 as _sl_s1_t7,
  case when (_sl_s1_da8 ~ '^(-?[0-9]{1,15})$') then case when _sl_s1_da8 || '000' like '-%' then '-' else '' end
         || case when (abs(cast(_sl_s1_da8 || '000' as bigint)) / 3600000000) < 10 then '0' else '' end || cast((abs(cast(_sl_s1_da8 || '000' as bigint)) / 3600000000) as varchar)
         || ':' || lpad(cast((abs(cast(_sl_s1_da8 || '000' as bigint)) / 60000000) % 60 as varchar), 2, '0')
         || ':' || lpad(cast((abs(cast(_sl_s1_da8 || '000' as bigint)) / 1000000) % 60 as varchar), 2, '0')
         || case when abs(cast(_sl_s1_da8 || '000' as bigint)) % 1000000 <> 0 then '.' || lpad(cast(abs(cast(_sl_s1_da8 || '000' as bigint)) % 1000000 as varchar), 6, '0') else '' end else _sl_s1_da8 end as _sl_s1_t8,
  case when (_sl_s1_da9 ~ '^(-?[0-9]{1,18})$') then case when _sl_s1_da9 like '-%' then '-' else '' end
         || case when (abs(cast(_sl_s1_da9 as bigint)) / 3600000000) < 10 then '0' else '' end || cast((abs(cast(_sl_s1_da9 as bigint)) / 3600000000) as varchar)
         || ':' || lpad(cast((abs(cast(_sl_s1_da9 as bigint)) / 60000000) % 60 as varchar), 2, '0')
         || ':' || lpad(cast((abs(cast(_sl_s1_da9 as bigint)) / 1000000) % 60 as varchar), 2, '0')
         || case when abs(cast(_sl_s1_da9 as bigint)) % 1000000 <> 0 then '.' || lpad(cast(abs(cast(_sl_s1_da9 as bigint)) % 1000000 as varchar), 6, '0') else '' end else _sl_s1_da9 end as _sl_s1_t9,
  case when case when length(_sl_s1_da10) <= 43688 then ((_sl_s1_da10 ~ '^(([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?)$')) else false end then from_varbyte(to_varbyte(_sl_s1_da10, 'base64'), 'hex') else _sl_s1_da10 end as _sl_s1_t10,
  _sl_s1_da11 as _sl_s1_t11,
  _sl_s1_da12 as _sl_s1_t12,
  _sl_s1_db1 as _sl_s1_b1,
  coalesce(case when not (_sl_d_op = 'd') then case
     when _sl_s1_da2 is not null and not (_sl_s1_x2_d is not null)
       then 'column amount: not a Debezium decimal:2 value that fits DECIMAL(12,2)'
end end,
    case when not (_sl_d_op = 'd') then case
     when _sl_s1_da3 is not null and not (_sl_s1_x3_d is not null)
       then 'column ratio: not a Debezium variable_decimal value that fits DECIMAL(38,10)'
end end,
    case when not (_sl_d_op = 'd') then case
     when _sl_s1_da4 is not null and not (case when (_sl_s1_da4 ~ '^(-?[0-9]{1,7})$') then cast(_sl_s1_da4 as integer) between -719162 and 2932896 else false end)
       then 'column paid_on: not a Debezium date value that fits DATE'
end end,
    case when not (_sl_d_op = 'd') then case
     when _sl_s1_da5 is not null and not (case when (_sl_s1_da5 ~ '^(-?[0-9]{1,15})$') then cast(_sl_s1_da5 || '000' as bigint) between -62135596800000000 and 253402300799999999 else false end)
       then 'column at_ms: not a Debezium timestamp_ms value that fits TIMESTAMP'
end end,
    case when not (_sl_d_op = 'd') then case
     when _sl_s1_da6 is not null and not (case when (_sl_s1_da6 ~ '^(-?[0-9]{1,18})$') then cast(_sl_s1_da6 as bigint) between -62135596800000000 and 253402300799999999 else false end)
       then 'column at_us: not a Debezium timestamp_us value that fits TIMESTAMP'
end end,
    case when not (_sl_d_op = 'd') then case
     when _sl_s1_da8 is not null and not ((_sl_s1_da8 ~ '^(-?[0-9]{1,15})$'))
       then 'column t_ms: not a Debezium time_ms value that fits TIME'
end end,
    case when not (_sl_d_op = 'd') then case
     when _sl_s1_da9 is not null and not ((_sl_s1_da9 ~ '^(-?[0-9]{1,18})$'))
       then 'column t_us: not a Debezium time_us value that fits TIME'
end end,
    case when not (_sl_d_op = 'd') then case
     when _sl_s1_da10 in ('__debezium_unavailable_value', 'X19kZWJleml1bV91bmF2YWlsYWJsZV92YWx1ZQ==', '["__debezium_unavailable_value"]')
       then 'column raw: Debezium did not send its value (an unchanged TOASTed value: REPLICA IDENTITY FULL on the source table sends it)'
     when _sl_s1_da10 is not null and not (case when length(_sl_s1_da10) <= 43688 then ((_sl_s1_da10 ~ '^(([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?)$')) else false end)
       then 'column raw: not a Debezium bytes value that fits VARBYTE(1024000)'
end end,
    case when not (_sl_d_op = 'd') then case
     when _sl_s1_da11 in ('__debezium_unavailable_value', 'X19kZWJleml1bV91bmF2YWlsYWJsZV92YWx1ZQ==', '["__debezium_unavailable_value"]')
       then 'column note: Debezium did not send its value (an unchanged TOASTed value: REPLICA IDENTITY FULL on the source table sends it)'
end end,
    case when not (_sl_d_op = 'd') then case
     when _sl_s1_da12 in ('__debezium_unavailable_value', 'X19kZWJleml1bV91bmF2YWlsYWJsZV92YWx1ZQ==', '["__debezium_unavailable_value"]')
       then 'column doc: Debezium did not send its value (an unchanged TOASTed value: REPLICA IDENTITY FULL on the source table sends it)'
end end) as _sl_s1_undecoded
from (
select _sl_read3.*,
  case when _sl_s1_x2_h is not null and length(_sl_s1_x2_h) <= 32
       then case when lpad(case when (substr(_sl_s1_x2_h, 1, 1) in ('8', '9', 'a', 'b', 'c', 'd', 'e', 'f')) then translate(_sl_s1_x2_h, '0123456789abcdef', 'fedcba9876543210') else _sl_s1_x2_h end, 32, '0') < case when (substr(_sl_s1_x2_h, 1, 1) in ('8', '9', 'a', 'b', 'c', 'd', 'e', 'f')) then '4b3b4ca85a86c47a098a223fffffffff' else '4b3b4ca85a86c47a098a224000000000' end
                   then cast((((cast(strtol(substr(lpad(case when (substr(_sl_s1_x2_h, 1, 1) in ('8', '9', 'a', 'b', 'c', 'd', 'e', 'f')) then translate(_sl_s1_x2_h, '0123456789abcdef', 'fedcba9876543210') else _sl_s1_x2_h end, 32, '0'), 1, 8), 16) as decimal(38,0)) * 4294967296 + cast(strtol(substr(lpad(case when (substr(_sl_s1_x2_h, 1, 1) in ('8', '9', 'a', 'b', 'c', 'd', 'e', 'f')) then translate(_sl_s1_x2_h, '0123456789abcdef', 'fedcba9876543210') else _sl_s1_x2_h end, 32, '0'), 9, 8), 16) as decimal(38,0))) * 4294967296 + cast(strtol(substr(lpad(case when (substr(_sl_s1_x2_h, 1, 1) in ('8', '9', 'a', 'b', 'c', 'd', 'e', 'f')) then translate(_sl_s1_x2_h, '0123456789abcdef', 'fedcba9876543210') else _sl_s1_x2_h end, 32, '0'), 17, 8), 16) as decimal(38,0))) * 4294967296 + cast(strtol(substr(lpad(case when (substr(_sl_s1_x2_h, 1, 1) in ('8', '9', 'a', 'b', 'c', 'd', 'e', 'f')) then translate(_sl_s1_x2_h, '0123456789abcdef', 'fedcba9876543210') else _sl_s1_x2_h end, 32, '0'), 25, 8), 16) as decimal(38,0))) + case when (substr(_sl_s1_x2_h, 1, 1) in ('8', '9', 'a', 'b', 'c', 'd', 'e', 'f')) then 1 else 0 end as varchar) end end as _sl_s1_x2_d,
  case when _sl_s1_x3_h is not null and length(_sl_s1_x3_h) <= 32 and _sl_s1_x3_s is not null
       then case when lpad(case when (substr(_sl_s1_x3_h, 1, 1) in ('8', '9', 'a', 'b', 'c', 'd', 'e', 'f')) then translate(_sl_s1_x3_h, '0123456789abcdef', 'fedcba9876543210') else _sl_s1_x3_h end, 32, '0') < case when (substr(_sl_s1_x3_h, 1, 1) in ('8', '9', 'a', 'b', 'c', 'd', 'e', 'f')) then '4b3b4ca85a86c47a098a223fffffffff' else '4b3b4ca85a86c47a098a224000000000' end
                   then cast((((cast(strtol(substr(lpad(case when (substr(_sl_s1_x3_h, 1, 1) in ('8', '9', 'a', 'b', 'c', 'd', 'e', 'f')) then translate(_sl_s1_x3_h, '0123456789abcdef', 'fedcba9876543210') else _sl_s1_x3_h end, 32, '0'), 1, 8), 16) as decimal(38,0)) * 4294967296 + cast(strtol(substr(lpad(case when (substr(_sl_s1_x3_h, 1, 1) in ('8', '9', 'a', 'b', 'c', 'd', 'e', 'f')) then translate(_sl_s1_x3_h, '0123456789abcdef', 'fedcba9876543210') else _sl_s1_x3_h end, 32, '0'), 9, 8), 16) as decimal(38,0))) * 4294967296 + cast(strtol(substr(lpad(case when (substr(_sl_s1_x3_h, 1, 1) in ('8', '9', 'a', 'b', 'c', 'd', 'e', 'f')) then translate(_sl_s1_x3_h, '0123456789abcdef', 'fedcba9876543210') else _sl_s1_x3_h end, 32, '0'), 17, 8), 16) as decimal(38,0))) * 4294967296 + cast(strtol(substr(lpad(case when (substr(_sl_s1_x3_h, 1, 1) in ('8', '9', 'a', 'b', 'c', 'd', 'e', 'f')) then translate(_sl_s1_x3_h, '0123456789abcdef', 'fedcba9876543210') else _sl_s1_x3_h end, 32, '0'), 25, 8), 16) as decimal(38,0))) + case when (substr(_sl_s1_x3_h, 1, 1) in ('8', '9', 'a', 'b', 'c', 'd', 'e', 'f')) then 1 else 0 end as varchar) end end as _sl_s1_x3_d
from (
select _sl_read2.*,
  case when length(_sl_s1_da2) between 4 and 24 then case when ((_sl_s1_da2 ~ '^(([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?)$')) then lower(from_varbyte(to_varbyte(_sl_s1_da2, 'base64'), 'hex')) end end as _sl_s1_x2_h,
  case when length(_sl_s1_x3_v) between 4 and 24 then case when ((_sl_s1_x3_v ~ '^(([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?)$')) then lower(from_varbyte(to_varbyte(_sl_s1_x3_v, 'base64'), 'hex')) end end as _sl_s1_x3_h
from (
select _sl_read1.*,
  case when case when (_sl_s1_da3 ~ '^([{].*[}])$') then can_json_parse(_sl_s1_da3) else false end then json_extract_path_text(_sl_s1_da3, 'value', true) end as _sl_s1_x3_v,
  case when case when (_sl_s1_da3 ~ '^([{].*[}])$') then can_json_parse(_sl_s1_da3) else false end then case when (coalesce(json_extract_path_text(_sl_s1_da3, 'scale', true), '') ~ '^([0-9]{1,2})$') then cast(json_extract_path_text(_sl_s1_da3, 'scale', true) as integer) end end as _sl_s1_x3_s
from (
select
    refresh_time, shard_id, sequence_number, partition_key, payload, raw_data,
    (case when is_varchar(payload."payload"."op") then payload."payload"."op"::varchar
        when payload."payload"."op" is null or json_typeof(payload."payload"."op") = 'null' then null
        when json_size(payload."payload"."op") > 65535 then null
        when json_typeof(payload."payload"."op") = 'number' and not is_bigint(payload."payload"."op") and octet_length(raw_data) <= 65535
          then coalesce(nullif(regexp_substr(from_varbyte(raw_data, 'utf8'), '(?s)"\\Qpayload\\E"[[:space:]]*:[[:space:]]*[{].*?"\\Qop\\E"[[:space:]]*:[[:space:]]*(-?[0-9][0-9.eE+-]*)', 1, 1, 'pe'), ''), json_serialize(payload."payload"."op"))
        else json_serialize(payload."payload"."op") end) as _sl_d_op,
    (case when is_varchar(payload."payload"."status") then payload."payload"."status"::varchar
        when payload."payload"."status" is null or json_typeof(payload."payload"."status") = 'null' then null
        when json_size(payload."payload"."status") > 65535 then null
        when json_typeof(payload."payload"."status") = 'number' and not is_bigint(payload."payload"."status") and octet_length(raw_data) <= 65535
          then coalesce(nullif(regexp_substr(from_varbyte(raw_data, 'utf8'), '(?s)"\\Qpayload\\E"[[:space:]]*:[[:space:]]*[{].*?"\\Qstatus\\E"[[:space:]]*:[[:space:]]*(-?[0-9][0-9.eE+-]*)', 1, 1, 'pe'), ''), json_serialize(payload."payload"."status"))
        else json_serialize(payload."payload"."status") end) as _sl_d_status,
    (case when is_varchar(payload."payload"."source"."schema") then payload."payload"."source"."schema"::varchar
        when payload."payload"."source"."schema" is null or json_typeof(payload."payload"."source"."schema") = 'null' then null
        when json_size(payload."payload"."source"."schema") > 65535 then null
        else json_serialize(payload."payload"."source"."schema") end) as _sl_d_schema,
    (case when is_varchar(payload."payload"."source"."db") then payload."payload"."source"."db"::varchar
        when payload."payload"."source"."db" is null or json_typeof(payload."payload"."source"."db") = 'null' then null
        when json_size(payload."payload"."source"."db") > 65535 then null
        else json_serialize(payload."payload"."source"."db") end) as _sl_d_db,
    (case when is_varchar(payload."payload"."source"."table") then payload."payload"."source"."table"::varchar
        when payload."payload"."source"."table" is null or json_typeof(payload."payload"."source"."table") = 'null' then null
        when json_size(payload."payload"."source"."table") > 65535 then null
        else json_serialize(payload."payload"."source"."table") end) as _sl_d_table,
    (case when is_varchar(payload."payload"."source"."ts_us") then payload."payload"."source"."ts_us"::varchar
        when payload."payload"."source"."ts_us" is null or json_typeof(payload."payload"."source"."ts_us") = 'null' then null
        when json_size(payload."payload"."source"."ts_us") > 65535 then null
        else json_serialize(payload."payload"."source"."ts_us") end) as _sl_d_ts_us,
    (case when is_varchar(payload."payload"."source"."ts_ms") then payload."payload"."source"."ts_ms"::varchar
        when payload."payload"."source"."ts_ms" is null or json_typeof(payload."payload"."source"."ts_ms") = 'null' then null
        when json_size(payload."payload"."source"."ts_ms") > 65535 then null
        else json_serialize(payload."payload"."source"."ts_ms") end) as _sl_d_ts_ms,
    (case when is_varchar(payload."payload"."ts_ms") then payload."payload"."ts_ms"::varchar
        when payload."payload"."ts_ms" is null or json_typeof(payload."payload"."ts_ms") = 'null' then null
        when json_size(payload."payload"."ts_ms") > 65535 then null
        when json_typeof(payload."payload"."ts_ms") = 'number' and not is_bigint(payload."payload"."ts_ms") and octet_length(raw_data) <= 65535
          then coalesce(nullif(regexp_substr(from_varbyte(raw_data, 'utf8'), '(?s)"\\Qpayload\\E"[[:space:]]*:[[:space:]]*[{].*?"\\Qts_ms\\E"[[:space:]]*:[[:space:]]*(-?[0-9][0-9.eE+-]*)', 1, 1, 'pe'), ''), json_serialize(payload."payload"."ts_ms"))
        else json_serialize(payload."payload"."ts_ms") end) as _sl_d_env_ts,
    (case when is_varchar(payload."payload"."source"."lsn") then payload."payload"."source"."lsn"::varchar
        when payload."payload"."source"."lsn" is null or json_typeof(payload."payload"."source"."lsn") = 'null' then null
        when json_size(payload."payload"."source"."lsn") > 65535 then null
        else json_serialize(payload."payload"."source"."lsn") end) as _sl_d_lsn,
    (case when is_varchar(payload."payload"."source"."sequence") then payload."payload"."source"."sequence"::varchar
        when payload."payload"."source"."sequence" is null or json_typeof(payload."payload"."source"."sequence") = 'null' then null
        when json_size(payload."payload"."source"."sequence") > 65535 then null
        else json_serialize(payload."payload"."source"."sequence") end) as _sl_d_sequence,
    (case when is_varchar(payload."payload"."source"."file") then payload."payload"."source"."file"::varchar
        when payload."payload"."source"."file" is null or json_typeof(payload."payload"."source"."file") = 'null' then null
        when json_size(payload."payload"."source"."file") > 65535 then null
        else json_serialize(payload."payload"."source"."file") end) as _sl_d_file,
    (case when is_varchar(payload."payload"."source"."pos") then payload."payload"."source"."pos"::varchar
        when payload."payload"."source"."pos" is null or json_typeof(payload."payload"."source"."pos") = 'null' then null
        when json_size(payload."payload"."source"."pos") > 65535 then null
        else json_serialize(payload."payload"."source"."pos") end) as _sl_d_pos,
    (case when is_varchar(payload."payload"."source"."row") then payload."payload"."source"."row"::varchar
        when payload."payload"."source"."row" is null or json_typeof(payload."payload"."source"."row") = 'null' then null
        when json_size(payload."payload"."source"."row") > 65535 then null
        else json_serialize(payload."payload"."source"."row") end) as _sl_d_row,
    (case when is_varchar(payload."payload"."after"."id") then payload."payload"."after"."id"::varchar
        when payload."payload"."after"."id" is null or json_typeof(payload."payload"."after"."id") = 'null' then null
        when json_size(payload."payload"."after"."id") > 65535 then null
        else json_serialize(payload."payload"."after"."id") end) as _sl_s1_da1,
    (case when is_varchar(payload."payload"."before"."id") then payload."payload"."before"."id"::varchar
        when payload."payload"."before"."id" is null or json_typeof(payload."payload"."before"."id") = 'null' then null
        when json_size(payload."payload"."before"."id") > 65535 then null
        else json_serialize(payload."payload"."before"."id") end) as _sl_s1_db1,
    (case when is_varchar(payload."payload"."after"."amount") then payload."payload"."after"."amount"::varchar
        when payload."payload"."after"."amount" is null or json_typeof(payload."payload"."after"."amount") = 'null' then null
        when json_size(payload."payload"."after"."amount") > 65535 then null
        else json_serialize(payload."payload"."after"."amount") end) as _sl_s1_da2,
    (case when is_varchar(payload."payload"."after"."ratio") then payload."payload"."after"."ratio"::varchar
        when payload."payload"."after"."ratio" is null or json_typeof(payload."payload"."after"."ratio") = 'null' then null
        when json_size(payload."payload"."after"."ratio") > 65535 then null
        else json_serialize(payload."payload"."after"."ratio") end) as _sl_s1_da3,
    (case when is_varchar(payload."payload"."after"."paid_on") then payload."payload"."after"."paid_on"::varchar
        when payload."payload"."after"."paid_on" is null or json_typeof(payload."payload"."after"."paid_on") = 'null' then null
        when json_size(payload."payload"."after"."paid_on") > 65535 then null
        else json_serialize(payload."payload"."after"."paid_on") end) as _sl_s1_da4,
    (case when is_varchar(payload."payload"."after"."at_ms") then payload."payload"."after"."at_ms"::varchar
        when payload."payload"."after"."at_ms" is null or json_typeof(payload."payload"."after"."at_ms") = 'null' then null
        when json_size(payload."payload"."after"."at_ms") > 65535 then null
        else json_serialize(payload."payload"."after"."at_ms") end) as _sl_s1_da5,
    (case when is_varchar(payload."payload"."after"."at_us") then payload."payload"."after"."at_us"::varchar
        when payload."payload"."after"."at_us" is null or json_typeof(payload."payload"."after"."at_us") = 'null' then null
        when json_size(payload."payload"."after"."at_us") > 65535 then null
        else json_serialize(payload."payload"."after"."at_us") end) as _sl_s1_da6,
    (case when is_varchar(payload."payload"."after"."at_tz") then payload."payload"."after"."at_tz"::varchar
        when payload."payload"."after"."at_tz" is null or json_typeof(payload."payload"."after"."at_tz") = 'null' then null
        when json_size(payload."payload"."after"."at_tz") > 65535 then null
        else json_serialize(payload."payload"."after"."at_tz") end) as _sl_s1_da7,
    (case when is_varchar(payload."payload"."after"."t_ms") then payload."payload"."after"."t_ms"::varchar
        when payload."payload"."after"."t_ms" is null or json_typeof(payload."payload"."after"."t_ms") = 'null' then null
        when json_size(payload."payload"."after"."t_ms") > 65535 then null
        else json_serialize(payload."payload"."after"."t_ms") end) as _sl_s1_da8,
    (case when is_varchar(payload."payload"."after"."t_us") then payload."payload"."after"."t_us"::varchar
        when payload."payload"."after"."t_us" is null or json_typeof(payload."payload"."after"."t_us") = 'null' then null
        when json_size(payload."payload"."after"."t_us") > 65535 then null
        else json_serialize(payload."payload"."after"."t_us") end) as _sl_s1_da9,
    (case when is_varchar(payload."payload"."after"."raw") then payload."payload"."after"."raw"::varchar
        when payload."payload"."after"."raw" is null or json_typeof(payload."payload"."after"."raw") = 'null' then null
        when json_size(payload."payload"."after"."raw") > 65535 then null
        else json_serialize(payload."payload"."after"."raw") end) as _sl_s1_da10,
    (case when is_varchar(payload."payload"."after"."note") then payload."payload"."after"."note"::varchar
        when payload."payload"."after"."note" is null or json_typeof(payload."payload"."after"."note") = 'null' then null
        when json_size(payload."payload"."after"."note") > 65535 then null
        else json_serialize(payload."payload"."after"."note") end) as _sl_s1_da11,
    (case when is_varchar(payload."payload"."after"."doc") then payload."payload"."after"."doc"::varchar
        when payload."payload"."after"."doc" is null or json_typeof(payload."payload"."after"."doc") = 'null' then null
        when json_size(payload."payload"."after"."doc") > 65535 then null
        else json_serialize(payload."payload"."after"."doc") end) as _sl_s1_da12
  from (select new_rows.* from new_rows) parsed
) _sl_read1
) _sl_read2
) _sl_read3
) _sl_read
) _sl_named
),
judged as (
  select records.*,
    case
      when payload is null and coalesce(octet_length(raw_data), 0) = 0 then null
      when payload is null then case when octet_length(raw_data) > 65535
  then 'not parsed as JSON: not valid JSON, or a string in it is longer than 65,535 bytes, which Redshift parses only with enable_large_strings_opt_in on'
  else 'not valid JSON' end
      when record_type is null then 'not a Debezium change event (no op)'
      when record_type = 'data' and table_name is null then 'source.table is missing'
      when record_type = 'data' and table_name = 'payment' and schema_name = 'public'
        then case
    when operation is null or operation not in ('load', 'insert', 'update', 'delete')
      then case when operation = 'not-sent' then 'not sent: the row''s change was over the stream''s record size limit, so capture sent this stand-in (its key, its small values, the size and the columns left out); the mirror row stays as it was (missing, after an insert) until the row''s next change' else 'unknown Debezium op ' || coalesce(operation, '(missing)') end
    when _sl_commit_text is null and _sl_ts_text is null
      then 'source.ts_ms is missing'
    when _sl_commit_text is not null and not (_sl_commit_text ~ '^([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[.][0-9]{6})$')
      then 'source.ts_ms is not a number of milliseconds since 1970 (years 1-9999)'
    when _sl_ts_text is not null and not (_sl_ts_text ~ '^([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[.][0-9]{6})$')
      then 'ts_ms is not a number of milliseconds since 1970 (years 1-9999)'
    when _sl_trid_text is null and operation <> 'load'
      then 'the source position is missing (source.lsn, or source.file and source.pos)'
    when _sl_trid_text is not null and not (_sl_trid_text ~ '^([0-9]{40})$')
      then 'the source position is not whole numbers (source.lsn and source.sequence, or source.file, pos and row)'
    when _sl_s1_t1 is null
      then 'key column id is missing'
    when _sl_s1_undecoded is not null
      then _sl_s1_undecoded
    when _sl_s1_t1 is not null and not ((case when (_sl_s1_t1 ~ '^([+-]?[0-9]+)$')
            then case when length(_sl_s1_t1) <= 20 then cast(_sl_s1_t1 as decimal(38,0)) between -9223372036854775808 and 9223372036854775807 else false end
          when (_sl_s1_t1 ~ '^([+-]?[0-9]{1,20}[.]0*)$')
            then case when length(split_part(_sl_s1_t1, '.', 1)) <= 20 then cast(split_part(_sl_s1_t1, '.', 1) as decimal(38,0)) between -9223372036854775808 and 9223372036854775807 else false end
          when (_sl_s1_t1 ~ '^([+-]?[0-9]{1,20}([.][0-9]{0,20})?[eE][+]?[0-9]{1,2})$')
            then case when (length(rtrim(split_part(regexp_replace(_sl_s1_t1, '^[+-]|[eE].*$', ''), '.', 2), '0')) <= cast(regexp_replace(_sl_s1_t1, '^.*[eE][+]?', '') as integer)) and length((case when _sl_s1_t1 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_s1_t1, '^[+-]|[eE].*$', ''), '.', 1) || rpad(split_part(regexp_replace(_sl_s1_t1, '^[+-]|[eE].*$', ''), '.', 2), cast(regexp_replace(_sl_s1_t1, '^.*[eE][+]?', '') as integer), '0'), '0'), ''), '0'))) <= 20
                      then cast((case when _sl_s1_t1 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_s1_t1, '^[+-]|[eE].*$', ''), '.', 1) || rpad(split_part(regexp_replace(_sl_s1_t1, '^[+-]|[eE].*$', ''), '.', 2), cast(regexp_replace(_sl_s1_t1, '^.*[eE][+]?', '') as integer), '0'), '0'), ''), '0')) as decimal(38,0)) between -9223372036854775808 and 9223372036854775807 else false end
          else false end))
      then 'column id: value does not fit BIGINT'
    when _sl_s1_b1 is not null and not ((case when (_sl_s1_b1 ~ '^([+-]?[0-9]+)$')
            then case when length(_sl_s1_b1) <= 20 then cast(_sl_s1_b1 as decimal(38,0)) between -9223372036854775808 and 9223372036854775807 else false end
          when (_sl_s1_b1 ~ '^([+-]?[0-9]{1,20}[.]0*)$')
            then case when length(split_part(_sl_s1_b1, '.', 1)) <= 20 then cast(split_part(_sl_s1_b1, '.', 1) as decimal(38,0)) between -9223372036854775808 and 9223372036854775807 else false end
          when (_sl_s1_b1 ~ '^([+-]?[0-9]{1,20}([.][0-9]{0,20})?[eE][+]?[0-9]{1,2})$')
            then case when (length(rtrim(split_part(regexp_replace(_sl_s1_b1, '^[+-]|[eE].*$', ''), '.', 2), '0')) <= cast(regexp_replace(_sl_s1_b1, '^.*[eE][+]?', '') as integer)) and length((case when _sl_s1_b1 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_s1_b1, '^[+-]|[eE].*$', ''), '.', 1) || rpad(split_part(regexp_replace(_sl_s1_b1, '^[+-]|[eE].*$', ''), '.', 2), cast(regexp_replace(_sl_s1_b1, '^.*[eE][+]?', '') as integer), '0'), '0'), ''), '0'))) <= 20
                      then cast((case when _sl_s1_b1 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_s1_b1, '^[+-]|[eE].*$', ''), '.', 1) || rpad(split_part(regexp_replace(_sl_s1_b1, '^[+-]|[eE].*$', ''), '.', 2), cast(regexp_replace(_sl_s1_b1, '^.*[eE][+]?', '') as integer), '0'), '0'), ''), '0')) as decimal(38,0)) between -9223372036854775808 and 9223372036854775807 else false end
          else false end))
      then 'before-image key column id: value does not fit BIGINT'
  end
      when record_type = 'control' and table_name = 'payment' and schema_name = 'public'
        then case when operation = 'drop-table'
       then 'drop-table: the source table was dropped; the mirror keeps its rows'
     when operation = 'truncate-table' and _sl_commit_text is null
       then 'truncate (op t) without source.ts_ms cannot be placed in commit order; the mirror keeps its rows'
     when operation = 'truncate-table' and _sl_trid_text is null
       then 'truncate (op t) without a source position (lsn, or file and pos) cannot be placed in commit order; the mirror keeps its rows'
     when operation = 'truncate-table' then case
       when 'load' is null or 'load' not in ('load', 'insert', 'update', 'delete')
      then case when 'load' = 'not-sent' then 'not sent: the row''s change was over the stream''s record size limit, so capture sent this stand-in (its key, its small values, the size and the columns left out); the mirror row stays as it was (missing, after an insert) until the row''s next change' else 'unknown Debezium op ' || coalesce('load', '(missing)') end
    when _sl_commit_text is null and _sl_ts_text is null
      then 'source.ts_ms is missing'
    when _sl_commit_text is not null and not (_sl_commit_text ~ '^([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[.][0-9]{6})$')
      then 'source.ts_ms is not a number of milliseconds since 1970 (years 1-9999)'
    when _sl_ts_text is not null and not (_sl_ts_text ~ '^([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[.][0-9]{6})$')
      then 'ts_ms is not a number of milliseconds since 1970 (years 1-9999)'
    when _sl_trid_text is null and 'load' <> 'load'
      then 'the source position is missing (source.lsn, or source.file and source.pos)'
    when _sl_trid_text is not null and not (_sl_trid_text ~ '^([0-9]{40})$')
      then 'the source position is not whole numbers (source.lsn and source.sequence, or source.file, pos and row)'
     end
end
    end as reason,
    case
      when record_type = 'data' and table_name = 'payment' and schema_name = 'public'
        then case when operation = 'delete' then '' else case when _sl_s1_t2 is not null and not ((case when (_sl_s1_t2 ~ '^([+-]?0*[0-9]{0,10}([.][0-9]{0,2}0*)?)$')
            then _sl_s1_t2 not in ('', '+', '-', '.', '+.', '-.')
          else false end)) then '|2|' else '' end || case when _sl_s1_t3 is not null and not ((case when (_sl_s1_t3 ~ '^([+-]?0*[0-9]{0,28}([.][0-9]{0,10}0*)?)$')
            then _sl_s1_t3 not in ('', '+', '-', '.', '+.', '-.')
          else false end)) then '|3|' else '' end || case when _sl_s1_t4 is not null and not ((case when (_sl_s1_t4 ~ '^(([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]))$') then (try_cast(_sl_s1_t4 as DATE) is not null) else false end)) then '|4|' else '' end || case when _sl_s1_t5 is not null and not ((case when (_sl_s1_t5 ~ '^(([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[ T](([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?|24:00:00))$') then (try_cast(replace(_sl_s1_t5, 'T', ' ') as TIMESTAMP) is not null) else false end)) then '|5|' else '' end || case when _sl_s1_t6 is not null and not ((case when (_sl_s1_t6 ~ '^(([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[ T](([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?|24:00:00))$') then (try_cast(replace(_sl_s1_t6, 'T', ' ') as TIMESTAMP) is not null) else false end)) then '|6|' else '' end || case when _sl_s1_t7 is not null and not ((case when (_sl_s1_t7 ~ '^(([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[ T](([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?|24:00:00)(Z|[+-](0[0-9]|1[0-4])(:?[0-5][0-9])?)?)$') then (try_cast(replace(_sl_s1_t7, 'T', ' ') as TIMESTAMPTZ) is not null) else false end)) then '|7|' else '' end || case when _sl_s1_t8 is not null and not ((_sl_s1_t8 ~ '^(([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?|24:00:00)$')) then '|8|' else '' end || case when _sl_s1_t9 is not null and not ((_sl_s1_t9 ~ '^(([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?|24:00:00)$')) then '|9|' else '' end || case when _sl_s1_t10 is not null and not (((_sl_s1_t10 ~ '^((0x)?([0-9a-fA-F]{2})*)$') and length(regexp_replace(_sl_s1_t10, '^0x', '')) <= 2048000)) then '|10|' else '' end || case when _sl_s1_t11 is not null and not (octet_length(_sl_s1_t11) <= 65535) then '|11|' else '' end || case when _sl_s1_t12 is not null and not (can_json_parse(_sl_s1_t12)) then '|12|' else '' end end
      else ''
    end as _sl_misfits,
    max(refresh_time) over () as _streamleap_synced_at
  from records
)
,
_sl_adjusted as (
  select * from judged where reason is null and _sl_misfits <> ''
),
_sl_digits as (
  select 0 as d union all select 1 as d union all select 2 as d union all select 3 as d union all select 4 as d union all select 5 as d union all select 6 as d union all select 7 as d union all select 8 as d union all select 9 as d
),
_sl_numbers as (
  select n0.d * 1 + n1.d * 10 as n
  from _sl_digits n0 cross join _sl_digits n1
),
_sl_adjusted_columns as (
  select _sl_adjusted.*, _sl_numbers.n as _sl_column
  from _sl_adjusted cross join _sl_numbers
  where _sl_numbers.n between 1 and 12
    and _sl_misfits like '%|' || cast(_sl_numbers.n as varchar(16)) || '|%'
)
select
  refresh_time,
  cast(shard_id as varchar(20)) as shard_id,
  cast(sequence_number as varchar(128)) as sequence_number,
  cast(partition_key as varchar(256)) as partition_key,
  cast(schema_name as varchar(256)) as schema_name,
  cast(table_name as varchar(256)) as table_name,
  cast(operation as varchar(64)) as operation,
  cast(reason as varchar(1024)) as reason,
  cast(null as varchar(256)) as column_name,
  false as adjusted,
  coalesce(raw_data, json_serialize_to_varbyte(payload)) as raw_data,
  _streamleap_synced_at
from judged
where reason is not null
union all
select
  refresh_time, cast(shard_id as varchar(20)), cast(sequence_number as varchar(128)), cast(partition_key as varchar(256)),
  cast(schema_name as varchar(256)), cast(table_name as varchar(256)), cast(operation as varchar(64)),
  cast(case _sl_column
    when 2 then 'column amount: value does not fit DECIMAL(12,2); adjusted: ' || case when (case
    when not (case when (_sl_s1_t2 ~ '^([+-]?0*[0-9]{0,10}([.][0-9]*)?)$')
          then (_sl_s1_t2 ~ '^([+-]?[.]?[0-9].*)$')
        when (_sl_s1_t2 ~ '^([+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)[eE][+-]?[0-9]{1,3})$')
          then case when (case when (_sl_s1_t2 ~ '^(.*[0-9nN].*)$') then try_cast(_sl_s1_t2 as DOUBLE PRECISION) is not null else false end) then abs(cast(_sl_s1_t2 as double precision)) < 1e10 - 1 else false end
        else false end) then cast(null as DECIMAL(12,2))
    when (_sl_s1_t2 ~ '^(.*[eE].*)$') then cast(cast(_sl_s1_t2 as double precision) as DECIMAL(12,2))
    when substr(split_part(regexp_replace(_sl_s1_t2, '^[+-]', ''), '.', 2), 3, 1) < '5' then cast(case when _sl_s1_t2 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_s1_t2, '^[+-]', ''), '.', 1), '0'), ''), '0') || '.' || rpad(substr(split_part(regexp_replace(_sl_s1_t2, '^[+-]', ''), '.', 2), 1, 2), 2, '0') as DECIMAL(12,2))
    when abs(cast(case when _sl_s1_t2 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_s1_t2, '^[+-]', ''), '.', 1), '0'), ''), '0') || '.' || rpad(substr(split_part(regexp_replace(_sl_s1_t2, '^[+-]', ''), '.', 2), 1, 2), 2, '0') as DECIMAL(12,2))) >= cast('9999999999.99' as DECIMAL(12,2)) then cast(null as DECIMAL(12,2))
    when _sl_s1_t2 like '-%' then cast(cast(case when _sl_s1_t2 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_s1_t2, '^[+-]', ''), '.', 1), '0'), ''), '0') || '.' || rpad(substr(split_part(regexp_replace(_sl_s1_t2, '^[+-]', ''), '.', 2), 1, 2), 2, '0') as DECIMAL(12,2)) - cast('0.01' as DECIMAL(12,2)) as DECIMAL(12,2))
    else cast(cast(case when _sl_s1_t2 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_s1_t2, '^[+-]', ''), '.', 1), '0'), ''), '0') || '.' || rpad(substr(split_part(regexp_replace(_sl_s1_t2, '^[+-]', ''), '.', 2), 1, 2), 2, '0') as DECIMAL(12,2)) + cast('0.01' as DECIMAL(12,2)) as DECIMAL(12,2))
  end) is null then 'set to NULL'
         else 'rounded to 2 decimals' end
    when 3 then 'column ratio: value does not fit DECIMAL(38,10); adjusted: ' || case when (case
    when not (case when (_sl_s1_t3 ~ '^([+-]?0*[0-9]{0,28}([.][0-9]*)?)$')
          then (_sl_s1_t3 ~ '^([+-]?[.]?[0-9].*)$')
        when (_sl_s1_t3 ~ '^([+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)[eE][+-]?[0-9]{1,3})$')
          then case when (case when (_sl_s1_t3 ~ '^(.*[0-9nN].*)$') then try_cast(_sl_s1_t3 as DOUBLE PRECISION) is not null else false end) then abs(cast(_sl_s1_t3 as double precision)) < 1e28 - 1 else false end
        else false end) then cast(null as DECIMAL(38,10))
    when (_sl_s1_t3 ~ '^(.*[eE].*)$') then cast(cast(_sl_s1_t3 as double precision) as DECIMAL(38,10))
    when substr(split_part(regexp_replace(_sl_s1_t3, '^[+-]', ''), '.', 2), 11, 1) < '5' then cast(case when _sl_s1_t3 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_s1_t3, '^[+-]', ''), '.', 1), '0'), ''), '0') || '.' || rpad(substr(split_part(regexp_replace(_sl_s1_t3, '^[+-]', ''), '.', 2), 1, 10), 10, '0') as DECIMAL(38,10))
    when abs(cast(case when _sl_s1_t3 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_s1_t3, '^[+-]', ''), '.', 1), '0'), ''), '0') || '.' || rpad(substr(split_part(regexp_replace(_sl_s1_t3, '^[+-]', ''), '.', 2), 1, 10), 10, '0') as DECIMAL(38,10))) >= cast('9999999999999999999999999999.9999999999' as DECIMAL(38,10)) then cast(null as DECIMAL(38,10))
    when _sl_s1_t3 like '-%' then cast(cast(case when _sl_s1_t3 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_s1_t3, '^[+-]', ''), '.', 1), '0'), ''), '0') || '.' || rpad(substr(split_part(regexp_replace(_sl_s1_t3, '^[+-]', ''), '.', 2), 1, 10), 10, '0') as DECIMAL(38,10)) - cast('0.0000000001' as DECIMAL(38,10)) as DECIMAL(38,10))
    else cast(cast(case when _sl_s1_t3 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_s1_t3, '^[+-]', ''), '.', 1), '0'), ''), '0') || '.' || rpad(substr(split_part(regexp_replace(_sl_s1_t3, '^[+-]', ''), '.', 2), 1, 10), 10, '0') as DECIMAL(38,10)) + cast('0.0000000001' as DECIMAL(38,10)) as DECIMAL(38,10))
  end) is null then 'set to NULL'
         else 'rounded to 10 decimals' end
    when 4 then 'column paid_on: value does not fit DATE; adjusted: ' || 'set to NULL'
    when 5 then 'column at_ms: value does not fit TIMESTAMP; adjusted: ' || 'set to NULL'
    when 6 then 'column at_us: value does not fit TIMESTAMP; adjusted: ' || 'set to NULL'
    when 7 then 'column at_tz: value does not fit TIMESTAMPTZ; adjusted: ' || 'set to NULL'
    when 8 then 'column t_ms: value does not fit TIME; adjusted: ' || 'set to NULL'
    when 9 then 'column t_us: value does not fit TIME; adjusted: ' || 'set to NULL'
    when 10 then 'column raw: value does not fit VARBYTE(1024000); adjusted: ' || case when (case when (_sl_s1_t10 ~ '^((0x)?([0-9a-fA-F]{2})*)$') then to_varbyte(substr(regexp_replace(_sl_s1_t10, '^0x', ''), 1, 2048000), 'hex') end) is null then 'set to NULL'
         else 'cut to 1024000 bytes' end
    when 11 then 'column note: value does not fit VARCHAR(65535); adjusted: ' || 'cut to 65535 bytes'
    when 12 then 'column doc: value does not fit SUPER; adjusted: ' || 'set to NULL'
  end as varchar(1024)),
  cast(case _sl_column
    when 2 then 'amount'
    when 3 then 'ratio'
    when 4 then 'paid_on'
    when 5 then 'at_ms'
    when 6 then 'at_us'
    when 7 then 'at_tz'
    when 8 then 't_ms'
    when 9 then 't_us'
    when 10 then 'raw'
    when 11 then 'note'
    when 12 then 'doc'
  end as varchar(256)),
  true,
  coalesce(raw_data, json_serialize_to_varbyte(payload)),
  _streamleap_synced_at
from _sl_adjusted_columns
union all
select
  cast(null as timestamp), cast(null as varchar(20)), cast(null as varchar(128)), cast(null as varchar(256)),
  cast(null as varchar(256)), cast(null as varchar(256)), cast(null as varchar(64)), cast(null as varchar(1024)),
  cast(null as varchar(256)), cast(null as boolean),
  cast(null as varbyte(16777216)), max(_streamleap_synced_at)
from judged
having count(*) > 0
