set enable_case_sensitive_identifier to true;
drop table if exists "streamleap_cycle_models";
create temporary table "streamleap_cycle_models" (staging_name varchar(1024), relation_name varchar(1024));
insert into "streamleap_cycle_models" (staging_name, relation_name) values
('dev.public.stg_dbz_cdc', 'dev.public.payment'),
('dev.public.stg_dbz_cdc', 'dev.public.dbz_cdc_set_aside'),
('dev.public.stg_flat_cdc', 'dev.public.visit'),
('dev.public.stg_flat_cdc', 'dev.public.flat_cdc_set_aside'),
('dev.public.stg_shop_cdc', 'dev.public.Order'),
('dev.public.stg_shop_cdc', 'dev.public.cart'),
('dev.public.stg_shop_cdc', 'dev.public.events'),
('dev.public.stg_shop_cdc', 'dev.public.cart_item'),
('dev.public.stg_shop_cdc', 'dev.public.shop_cdc_set_aside');
refresh materialized view "dev"."public"."stg_dbz_cdc";
select max(refresh_time) from "dev"."public"."stg_dbz_cdc" where refresh_time > (select min(coalesce(watermark, cast('1900-01-01 00:00:00' as timestamp))) from (select watermark from "dev"."public"."streamleap_state" where relation_name in (select relation_name from "streamleap_cycle_models" where staging_name = 'dev.public.stg_dbz_cdc')) marks);
begin;
lock "dev"."public"."streamleap_state";
create temporary table "streamleap_cycle_batch" as (
select records.*,
  case
    when _sl_op is null or _sl_op not in ('load', 'insert', 'update', 'delete')
      then case when _sl_op = 'not-sent' then 'not sent: the row''s change was over the stream''s record size limit, so capture sent this stand-in (its key, its small values, the size and the columns left out); the mirror row stays as it was (missing, after an insert) until the row''s next change' else 'unknown Debezium op ' || coalesce(_sl_op, '(missing)') end
    when _sl_commit_text is null and _sl_ts_text is null
      then 'source.ts_ms is missing'
    when _sl_commit_text is not null and not (_sl_commit_text ~ '^([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[.][0-9]{6})$')
      then 'source.ts_ms is not a number of milliseconds since 1970 (years 1-9999)'
    when _sl_ts_text is not null and not (_sl_ts_text ~ '^([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[.][0-9]{6})$')
      then 'ts_ms is not a number of milliseconds since 1970 (years 1-9999)'
    when _sl_trid is null and _sl_op <> 'load'
      then 'the source position is missing (source.lsn, or source.file and source.pos)'
    when _sl_trid is not null and not (_sl_trid ~ '^([0-9]{40})$')
      then 'the source position is not whole numbers (source.lsn and source.sequence, or source.file, pos and row)'
  end as _sl_metadata_problem,
  true as _sl_rule_ok,
  rpad(substr(coalesce(_sl_commit_text, _sl_ts_text), 1, 4) || substr(coalesce(_sl_commit_text, _sl_ts_text), 6, 2) || substr(coalesce(_sl_commit_text, _sl_ts_text), 9, 2) || substr(coalesce(_sl_commit_text, _sl_ts_text), 12, 2) || substr(coalesce(_sl_commit_text, _sl_ts_text), 15, 2) || substr(coalesce(_sl_commit_text, _sl_ts_text), 18, 2)
       || case when substr(coalesce(_sl_commit_text, _sl_ts_text), 20, 1) = '.' then split_part(translate(substr(coalesce(_sl_commit_text, _sl_ts_text), 21, 13), 'Z+-', '...'), '.', 1) else '' end, 20, '0') as _sl_time_digits
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
  coalesce(_sl_d_schema, _sl_d_db) as _sl_schema
from (
select refresh_time, shard_id, sequence_number, partition_key, payload, raw_data,
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
        else json_serialize(payload."payload"."source"."row") end) as _sl_d_row
  from (select refresh_time, shard_id, sequence_number, partition_key, payload, raw_data
        from "dev"."public"."stg_dbz_cdc"
        where refresh_time > (select min(coalesce(watermark, cast('1900-01-01 00:00:00' as timestamp))) from (select watermark from "dev"."public"."streamleap_state" where relation_name in (select relation_name from "streamleap_cycle_models" where staging_name = 'dev.public.stg_dbz_cdc')) marks)) new_rows
) _sl_read
) records
);
select _sl_schema, _sl_table, max(case when _sl_record_type = 'control' and _sl_op = 'truncate-table' then 1 else 0 end)
from "streamleap_cycle_batch"
group by _sl_schema, _sl_table;
drop table if exists "dbz_cdc_set_aside__streamleap_kept";
create temporary table "dbz_cdc_set_aside__streamleap_kept" as (
select * from (
with new_rows as (
  select refresh_time, shard_id, sequence_number, partition_key, payload, raw_data
  from "streamleap_cycle_batch"
  where refresh_time > coalesce((select max(watermark) from "dev"."public"."streamleap_state" where relation_name = 'dev.public.dbz_cdc_set_aside'), cast('1900-01-01 00:00:00' as timestamp)) and not coalesce(_sl_table = 'payment' and _sl_schema = 'public', false)
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
  coalesce(_sl_d_schema, _sl_d_db) as _sl_schema
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
        else json_serialize(payload."payload"."source"."row") end) as _sl_d_row
  from (select new_rows.* from new_rows) parsed
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
    end as reason,
    '' as _sl_misfits,
    max(refresh_time) over () as _streamleap_synced_at
  from records
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
  cast(null as timestamp), cast(null as varchar(20)), cast(null as varchar(128)), cast(null as varchar(256)),
  cast(null as varchar(256)), cast(null as varchar(256)), cast(null as varchar(64)), cast(null as varchar(1024)),
  cast(null as varchar(256)), cast(null as boolean),
  cast(null as varbyte(16777216)), max(_streamleap_synced_at)
from judged
having count(*) > 0
) judged where reason is not null
);
create temporary table "payment__streamleap_checked" as (
with new_rows as (
  select * from "streamleap_cycle_batch"
  where _sl_table = 'payment' and _sl_schema = 'public'
),
parsed as (
select _sl_read.*,
  case when _sl_op = 'delete' then _sl_db1 else _sl_da1 end as _sl_t1,
  case when _sl_x2_d is not null then case when (substr(_sl_x2_h, 1, 1) in ('8', '9', 'a', 'b', 'c', 'd', 'e', 'f')) then '-' else '' end || substr((repeat('0', greatest(0, 2 + 1 - length(_sl_x2_d))) || _sl_x2_d), 1, length((repeat('0', greatest(0, 2 + 1 - length(_sl_x2_d))) || _sl_x2_d)) - 2) || '.' || substr((repeat('0', greatest(0, 2 + 1 - length(_sl_x2_d))) || _sl_x2_d), length((repeat('0', greatest(0, 2 + 1 - length(_sl_x2_d))) || _sl_x2_d)) - 2 + 1) else _sl_da2 end as _sl_t2,
  case when _sl_x3_d is not null then case when (substr(_sl_x3_h, 1, 1) in ('8', '9', 'a', 'b', 'c', 'd', 'e', 'f')) then '-' else '' end || substr((repeat('0', greatest(0, _sl_x3_s + 1 - length(_sl_x3_d))) || _sl_x3_d), 1, length((repeat('0', greatest(0, _sl_x3_s + 1 - length(_sl_x3_d))) || _sl_x3_d)) - _sl_x3_s) || '.' || substr((repeat('0', greatest(0, _sl_x3_s + 1 - length(_sl_x3_d))) || _sl_x3_d), length((repeat('0', greatest(0, _sl_x3_s + 1 - length(_sl_x3_d))) || _sl_x3_d)) - _sl_x3_s + 1) else _sl_da3 end as _sl_t3,
  case when case when (_sl_da4 ~ '^(-?[0-9]{1,7})$') then cast(_sl_da4 as integer) between -719162 and 2932896 else false end then to_char(dateadd(day, cast(_sl_da4 as integer), date '1970-01-01'), 'YYYY-MM-DD') else _sl_da4 end as _sl_t4,
  case when case when (_sl_da5 ~ '^(-?[0-9]{1,15})$') then cast(_sl_da5 || '000' as bigint) between -62135596800000000 and 253402300799999999 else false end then to_char(dateadd(microsecond, cast(cast(_sl_da5 || '000' as bigint) % 1000000 as integer),
          dateadd(second, cast((cast(_sl_da5 || '000' as bigint) / 1000000) % 86400 as integer),
            dateadd(day, cast(cast(_sl_da5 || '000' as bigint) / 86400000000 as integer), timestamp '1970-01-01 00:00:00'))), 'YYYY-MM-DD HH24:MI:SS.US') else _sl_da5 end as _sl_t5,
  case when case when (_sl_da6 ~ '^(-?[0-9]{1,18})$') then cast(_sl_da6 as bigint) between -62135596800000000 and 253402300799999999 else false end then to_char(dateadd(microsecond, cast(cast(_sl_da6 as bigint) % 1000000 as integer),
          dateadd(second, cast((cast(_sl_da6 as bigint) / 1000000) % 86400 as integer),
            dateadd(day, cast(cast(_sl_da6 as bigint) / 86400000000 as integer), timestamp '1970-01-01 00:00:00'))), 'YYYY-MM-DD HH24:MI:SS.US') else _sl_da6 end as _sl_t6,
  _sl_da7 as _sl_t7,
  case when (_sl_da8 ~ '^(-?[0-9]{1,15})$') then case when _sl_da8 || '000' like '-%' then '-' else '' end
         || case when (abs(cast(_sl_da8 || '000' as bigint)) / 3600000000) < 10 then '0' else '' end || cast((abs(cast(_sl_da8 || '000' as bigint)) / 3600000000) as varchar)
         || ':' || lpad(cast((abs(cast(_sl_da8 || '000' as bigint)) / 60000000) % 60 as varchar), 2, '0')
         || ':' || lpad(cast((abs(cast(_sl_da8 || '000' as bigint)) / 1000000) % 60 as varchar), 2, '0')
         || case when abs(cast(_sl_da8 || '000' as bigint)) % 1000000 <> 0 then '.' || lpad(cast(abs(cast(_sl_da8 || '000' as bigint)) % 1000000 as varchar), 6, '0') else '' end else _sl_da8 end as _sl_t8,
  case when (_sl_da9 ~ '^(-?[0-9]{1,18})$') then case when _sl_da9 like '-%' then '-' else '' end
         || case when (abs(cast(_sl_da9 as bigint)) / 3600000000) < 10 then '0' else '' end || cast((abs(cast(_sl_da9 as bigint)) / 3600000000) as varchar)
         || ':' || lpad(cast((abs(cast(_sl_da9 as bigint)) / 60000000) % 60 as varchar), 2, '0')
         || ':' || lpad(cast((abs(cast(_sl_da9 as bigint)) / 1000000) % 60 as varchar), 2, '0')
         || case when abs(cast(_sl_da9 as bigint)) % 1000000 <> 0 then '.' || lpad(cast(abs(cast(_sl_da9 as bigint)) % 1000000 as varchar), 6, '0') else '' end else _sl_da9 end as _sl_t9,
  case when case when length(_sl_da10) <= 43688 then ((_sl_da10 ~ '^(([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?)$')) else false end then from_varbyte(to_varbyte(_sl_da10, 'base64'), 'hex') else _sl_da10 end as _sl_t10,
  _sl_da11 as _sl_t11,
  _sl_da12 as _sl_t12,
  _sl_db1 as _sl_b1,
  coalesce(case when not (_sl_op = 'delete') then case
     when _sl_da2 is not null and not (_sl_x2_d is not null)
       then 'column amount: not a Debezium decimal:2 value that fits DECIMAL(12,2)'
end end,
    case when not (_sl_op = 'delete') then case
     when _sl_da3 is not null and not (_sl_x3_d is not null)
       then 'column ratio: not a Debezium variable_decimal value that fits DECIMAL(38,10)'
end end,
    case when not (_sl_op = 'delete') then case
     when _sl_da4 is not null and not (case when (_sl_da4 ~ '^(-?[0-9]{1,7})$') then cast(_sl_da4 as integer) between -719162 and 2932896 else false end)
       then 'column paid_on: not a Debezium date value that fits DATE'
end end,
    case when not (_sl_op = 'delete') then case
     when _sl_da5 is not null and not (case when (_sl_da5 ~ '^(-?[0-9]{1,15})$') then cast(_sl_da5 || '000' as bigint) between -62135596800000000 and 253402300799999999 else false end)
       then 'column at_ms: not a Debezium timestamp_ms value that fits TIMESTAMP'
end end,
    case when not (_sl_op = 'delete') then case
     when _sl_da6 is not null and not (case when (_sl_da6 ~ '^(-?[0-9]{1,18})$') then cast(_sl_da6 as bigint) between -62135596800000000 and 253402300799999999 else false end)
       then 'column at_us: not a Debezium timestamp_us value that fits TIMESTAMP'
end end,
    case when not (_sl_op = 'delete') then case
     when _sl_da8 is not null and not ((_sl_da8 ~ '^(-?[0-9]{1,15})$'))
       then 'column t_ms: not a Debezium time_ms value that fits TIME'
end end,
    case when not (_sl_op = 'delete') then case
     when _sl_da9 is not null and not ((_sl_da9 ~ '^(-?[0-9]{1,18})$'))
       then 'column t_us: not a Debezium time_us value that fits TIME'
end end,
    case when not (_sl_op = 'delete') then case
     when _sl_da10 in ('__debezium_unavailable_value', 'X19kZWJleml1bV91bmF2YWlsYWJsZV92YWx1ZQ==', '["__debezium_unavailable_value"]')
       then 'column raw: Debezium did not send its value (an unchanged TOASTed value: REPLICA IDENTITY FULL on the source table sends it)'
     when _sl_da10 is not null and not (case when length(_sl_da10) <= 43688 then ((_sl_da10 ~ '^(([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?)$')) else false end)
       then 'column raw: not a Debezium bytes value that fits VARBYTE(1024000)'
end end,
    case when not (_sl_op = 'delete') then case
     when _sl_da11 in ('__debezium_unavailable_value', 'X19kZWJleml1bV91bmF2YWlsYWJsZV92YWx1ZQ==', '["__debezium_unavailable_value"]')
       then 'column note: Debezium did not send its value (an unchanged TOASTed value: REPLICA IDENTITY FULL on the source table sends it)'
end end,
    case when not (_sl_op = 'delete') then case
     when _sl_da12 in ('__debezium_unavailable_value', 'X19kZWJleml1bV91bmF2YWlsYWJsZV92YWx1ZQ==', '["__debezium_unavailable_value"]')
       then 'column doc: Debezium did not send its value (an unchanged TOASTed value: REPLICA IDENTITY FULL on the source table sends it)'
end end) as _sl_undecoded
from (
select _sl_read3.*,
  case when _sl_x2_h is not null and length(_sl_x2_h) <= 32
       then case when lpad(case when (substr(_sl_x2_h, 1, 1) in ('8', '9', 'a', 'b', 'c', 'd', 'e', 'f')) then translate(_sl_x2_h, '0123456789abcdef', 'fedcba9876543210') else _sl_x2_h end, 32, '0') < case when (substr(_sl_x2_h, 1, 1) in ('8', '9', 'a', 'b', 'c', 'd', 'e', 'f')) then '4b3b4ca85a86c47a098a223fffffffff' else '4b3b4ca85a86c47a098a224000000000' end
                   then cast((((cast(strtol(substr(lpad(case when (substr(_sl_x2_h, 1, 1) in ('8', '9', 'a', 'b', 'c', 'd', 'e', 'f')) then translate(_sl_x2_h, '0123456789abcdef', 'fedcba9876543210') else _sl_x2_h end, 32, '0'), 1, 8), 16) as decimal(38,0)) * 4294967296 + cast(strtol(substr(lpad(case when (substr(_sl_x2_h, 1, 1) in ('8', '9', 'a', 'b', 'c', 'd', 'e', 'f')) then translate(_sl_x2_h, '0123456789abcdef', 'fedcba9876543210') else _sl_x2_h end, 32, '0'), 9, 8), 16) as decimal(38,0))) * 4294967296 + cast(strtol(substr(lpad(case when (substr(_sl_x2_h, 1, 1) in ('8', '9', 'a', 'b', 'c', 'd', 'e', 'f')) then translate(_sl_x2_h, '0123456789abcdef', 'fedcba9876543210') else _sl_x2_h end, 32, '0'), 17, 8), 16) as decimal(38,0))) * 4294967296 + cast(strtol(substr(lpad(case when (substr(_sl_x2_h, 1, 1) in ('8', '9', 'a', 'b', 'c', 'd', 'e', 'f')) then translate(_sl_x2_h, '0123456789abcdef', 'fedcba9876543210') else _sl_x2_h end, 32, '0'), 25, 8), 16) as decimal(38,0))) + case when (substr(_sl_x2_h, 1, 1) in ('8', '9', 'a', 'b', 'c', 'd', 'e', 'f')) then 1 else 0 end as varchar) end end as _sl_x2_d,
  case when _sl_x3_h is not null and length(_sl_x3_h) <= 32 and _sl_x3_s is not null
       then case when lpad(case when (substr(_sl_x3_h, 1, 1) in ('8', '9', 'a', 'b', 'c', 'd', 'e', 'f')) then translate(_sl_x3_h, '0123456789abcdef', 'fedcba9876543210') else _sl_x3_h end, 32, '0') < case when (substr(_sl_x3_h, 1, 1) in ('8', '9', 'a', 'b', 'c', 'd', 'e', 'f')) then '4b3b4ca85a86c47a098a223fffffffff' else '4b3b4ca85a86c47a098a224000000000' end
                   then cast((((cast(strtol(substr(lpad(case when (substr(_sl_x3_h, 1, 1) in ('8', '9', 'a', 'b', 'c', 'd', 'e', 'f')) then translate(_sl_x3_h, '0123456789abcdef', 'fedcba9876543210') else _sl_x3_h end, 32, '0'), 1, 8), 16) as decimal(38,0)) * 4294967296 + cast(strtol(substr(lpad(case when (substr(_sl_x3_h, 1, 1) in ('8', '9', 'a', 'b', 'c', 'd', 'e', 'f')) then translate(_sl_x3_h, '0123456789abcdef', 'fedcba9876543210') else _sl_x3_h end, 32, '0'), 9, 8), 16) as decimal(38,0))) * 4294967296 + cast(strtol(substr(lpad(case when (substr(_sl_x3_h, 1, 1) in ('8', '9', 'a', 'b', 'c', 'd', 'e', 'f')) then translate(_sl_x3_h, '0123456789abcdef', 'fedcba9876543210') else _sl_x3_h end, 32, '0'), 17, 8), 16) as decimal(38,0))) * 4294967296 + cast(strtol(substr(lpad(case when (substr(_sl_x3_h, 1, 1) in ('8', '9', 'a', 'b', 'c', 'd', 'e', 'f')) then translate(_sl_x3_h, '0123456789abcdef', 'fedcba9876543210') else _sl_x3_h end, 32, '0'), 25, 8), 16) as decimal(38,0))) + case when (substr(_sl_x3_h, 1, 1) in ('8', '9', 'a', 'b', 'c', 'd', 'e', 'f')) then 1 else 0 end as varchar) end end as _sl_x3_d
from (
select _sl_read2.*,
  case when length(_sl_da2) between 4 and 24 then case when ((_sl_da2 ~ '^(([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?)$')) then lower(from_varbyte(to_varbyte(_sl_da2, 'base64'), 'hex')) end end as _sl_x2_h,
  case when length(_sl_x3_v) between 4 and 24 then case when ((_sl_x3_v ~ '^(([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?)$')) then lower(from_varbyte(to_varbyte(_sl_x3_v, 'base64'), 'hex')) end end as _sl_x3_h
from (
select _sl_read1.*,
  case when case when (_sl_da3 ~ '^([{].*[}])$') then can_json_parse(_sl_da3) else false end then json_extract_path_text(_sl_da3, 'value', true) end as _sl_x3_v,
  case when case when (_sl_da3 ~ '^([{].*[}])$') then can_json_parse(_sl_da3) else false end then case when (coalesce(json_extract_path_text(_sl_da3, 'scale', true), '') ~ '^([0-9]{1,2})$') then cast(json_extract_path_text(_sl_da3, 'scale', true) as integer) end end as _sl_x3_s
from (
select new_rows.*,
    (case when is_varchar(payload."payload"."after"."id") then payload."payload"."after"."id"::varchar
        when payload."payload"."after"."id" is null or json_typeof(payload."payload"."after"."id") = 'null' then null
        when json_size(payload."payload"."after"."id") > 65535 then null
        else json_serialize(payload."payload"."after"."id") end) as _sl_da1,
    (case when is_varchar(payload."payload"."before"."id") then payload."payload"."before"."id"::varchar
        when payload."payload"."before"."id" is null or json_typeof(payload."payload"."before"."id") = 'null' then null
        when json_size(payload."payload"."before"."id") > 65535 then null
        else json_serialize(payload."payload"."before"."id") end) as _sl_db1,
    (case when is_varchar(payload."payload"."after"."amount") then payload."payload"."after"."amount"::varchar
        when payload."payload"."after"."amount" is null or json_typeof(payload."payload"."after"."amount") = 'null' then null
        when json_size(payload."payload"."after"."amount") > 65535 then null
        else json_serialize(payload."payload"."after"."amount") end) as _sl_da2,
    (case when is_varchar(payload."payload"."after"."ratio") then payload."payload"."after"."ratio"::varchar
        when payload."payload"."after"."ratio" is null or json_typeof(payload."payload"."after"."ratio") = 'null' then null
        when json_size(payload."payload"."after"."ratio") > 65535 then null
        else json_serialize(payload."payload"."after"."ratio") end) as _sl_da3,
    (case when is_varchar(payload."payload"."after"."paid_on") then payload."payload"."after"."paid_on"::varchar
        when payload."payload"."after"."paid_on" is null or json_typeof(payload."payload"."after"."paid_on") = 'null' then null
        when json_size(payload."payload"."after"."paid_on") > 65535 then null
        else json_serialize(payload."payload"."after"."paid_on") end) as _sl_da4,
    (case when is_varchar(payload."payload"."after"."at_ms") then payload."payload"."after"."at_ms"::varchar
        when payload."payload"."after"."at_ms" is null or json_typeof(payload."payload"."after"."at_ms") = 'null' then null
        when json_size(payload."payload"."after"."at_ms") > 65535 then null
        else json_serialize(payload."payload"."after"."at_ms") end) as _sl_da5,
    (case when is_varchar(payload."payload"."after"."at_us") then payload."payload"."after"."at_us"::varchar
        when payload."payload"."after"."at_us" is null or json_typeof(payload."payload"."after"."at_us") = 'null' then null
        when json_size(payload."payload"."after"."at_us") > 65535 then null
        else json_serialize(payload."payload"."after"."at_us") end) as _sl_da6,
    (case when is_varchar(payload."payload"."after"."at_tz") then payload."payload"."after"."at_tz"::varchar
        when payload."payload"."after"."at_tz" is null or json_typeof(payload."payload"."after"."at_tz") = 'null' then null
        when json_size(payload."payload"."after"."at_tz") > 65535 then null
        else json_serialize(payload."payload"."after"."at_tz") end) as _sl_da7,
    (case when is_varchar(payload."payload"."after"."t_ms") then payload."payload"."after"."t_ms"::varchar
        when payload."payload"."after"."t_ms" is null or json_typeof(payload."payload"."after"."t_ms") = 'null' then null
        when json_size(payload."payload"."after"."t_ms") > 65535 then null
        else json_serialize(payload."payload"."after"."t_ms") end) as _sl_da8,
    (case when is_varchar(payload."payload"."after"."t_us") then payload."payload"."after"."t_us"::varchar
        when payload."payload"."after"."t_us" is null or json_typeof(payload."payload"."after"."t_us") = 'null' then null
        when json_size(payload."payload"."after"."t_us") > 65535 then null
        else json_serialize(payload."payload"."after"."t_us") end) as _sl_da9,
    (case when is_varchar(payload."payload"."after"."raw") then payload."payload"."after"."raw"::varchar
        when payload."payload"."after"."raw" is null or json_typeof(payload."payload"."after"."raw") = 'null' then null
        when json_size(payload."payload"."after"."raw") > 65535 then null
        else json_serialize(payload."payload"."after"."raw") end) as _sl_da10,
    (case when is_varchar(payload."payload"."after"."note") then payload."payload"."after"."note"::varchar
        when payload."payload"."after"."note" is null or json_typeof(payload."payload"."after"."note") = 'null' then null
        when json_size(payload."payload"."after"."note") > 65535 then null
        else json_serialize(payload."payload"."after"."note") end) as _sl_da11,
    (case when is_varchar(payload."payload"."after"."doc") then payload."payload"."after"."doc"::varchar
        when payload."payload"."after"."doc" is null or json_typeof(payload."payload"."after"."doc") = 'null' then null
        when json_size(payload."payload"."after"."doc") > 65535 then null
        else json_serialize(payload."payload"."after"."doc") end) as _sl_da12
  from (select new_rows.* from new_rows) new_rows
) _sl_read1
) _sl_read2
) _sl_read3
) _sl_read
),
typed as (select parsed.*,
    case when (_sl_t1 ~ '^([+-]?[0-9]+)$')
         then case when length(_sl_t1) <= 20 then case when cast(_sl_t1 as decimal(38,0)) between -9223372036854775808 and 9223372036854775807 then cast(_sl_t1 as BIGINT) end end
       when (_sl_t1 ~ '^([+-]?[0-9]{1,20}[.]0*)$')
         then case when length(split_part(_sl_t1, '.', 1)) <= 20 then case when cast(split_part(_sl_t1, '.', 1) as decimal(38,0)) between -9223372036854775808 and 9223372036854775807 then cast(split_part(_sl_t1, '.', 1) as BIGINT) end end
       when (_sl_t1 ~ '^([+-]?[0-9]{1,20}([.][0-9]{0,20})?[eE][+]?[0-9]{1,2})$')
         then case when (length(rtrim(split_part(regexp_replace(_sl_t1, '^[+-]|[eE].*$', ''), '.', 2), '0')) <= cast(regexp_replace(_sl_t1, '^.*[eE][+]?', '') as integer)) and length((case when _sl_t1 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_t1, '^[+-]|[eE].*$', ''), '.', 1) || rpad(split_part(regexp_replace(_sl_t1, '^[+-]|[eE].*$', ''), '.', 2), cast(regexp_replace(_sl_t1, '^.*[eE][+]?', '') as integer), '0'), '0'), ''), '0'))) <= 20
                   then case when cast((case when _sl_t1 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_t1, '^[+-]|[eE].*$', ''), '.', 1) || rpad(split_part(regexp_replace(_sl_t1, '^[+-]|[eE].*$', ''), '.', 2), cast(regexp_replace(_sl_t1, '^.*[eE][+]?', '') as integer), '0'), '0'), ''), '0')) as decimal(38,0)) between -9223372036854775808 and 9223372036854775807 then cast((case when _sl_t1 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_t1, '^[+-]|[eE].*$', ''), '.', 1) || rpad(split_part(regexp_replace(_sl_t1, '^[+-]|[eE].*$', ''), '.', 2), cast(regexp_replace(_sl_t1, '^.*[eE][+]?', '') as integer), '0'), '0'), ''), '0')) as BIGINT) end end
  end as _sl_v1,
    case when (case when (_sl_t2 ~ '^([+-]?0*[0-9]{0,10}([.][0-9]{0,2}0*)?)$')
            then _sl_t2 not in ('', '+', '-', '.', '+.', '-.')
          else false end) then cast(_sl_t2 as DECIMAL(12,2))
  else cast(null as DECIMAL(12,2)) end as _sl_v2,
    case when (case when (_sl_t3 ~ '^([+-]?0*[0-9]{0,28}([.][0-9]{0,10}0*)?)$')
            then _sl_t3 not in ('', '+', '-', '.', '+.', '-.')
          else false end) then cast(_sl_t3 as DECIMAL(38,10))
  else cast(null as DECIMAL(38,10)) end as _sl_v3,
    case when (case when (_sl_t4 ~ '^(([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]))$') then (try_cast(_sl_t4 as DATE) is not null) else false end) then cast(_sl_t4 as DATE)
  else cast(null as DATE) end as _sl_v4,
    case when (case when (_sl_t5 ~ '^(([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[ T](([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?|24:00:00))$') then (try_cast(replace(_sl_t5, 'T', ' ') as TIMESTAMP) is not null) else false end) then cast(replace(_sl_t5, 'T', ' ') as TIMESTAMP)
  else cast(null as TIMESTAMP) end as _sl_v5,
    case when (case when (_sl_t6 ~ '^(([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[ T](([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?|24:00:00))$') then (try_cast(replace(_sl_t6, 'T', ' ') as TIMESTAMP) is not null) else false end) then cast(replace(_sl_t6, 'T', ' ') as TIMESTAMP)
  else cast(null as TIMESTAMP) end as _sl_v6,
    case when (case when (_sl_t7 ~ '^(([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[ T](([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?|24:00:00)(Z|[+-](0[0-9]|1[0-4])(:?[0-5][0-9])?)?)$') then (try_cast(replace(_sl_t7, 'T', ' ') as TIMESTAMPTZ) is not null) else false end) then cast(replace(_sl_t7, 'T', ' ') || case when (_sl_t7 ~ '^(.*(Z|[+-](0[0-9]|1[0-4])(:?[0-5][0-9])?))$') then '' else '+00:00' end as TIMESTAMPTZ)
  else cast(null as TIMESTAMPTZ) end as _sl_v7,
    case when (_sl_t8 ~ '^(([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?|24:00:00)$') then cast(_sl_t8 as TIME)
  else cast(null as TIME) end as _sl_v8,
    case when (_sl_t9 ~ '^(([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?|24:00:00)$') then cast(_sl_t9 as TIME)
  else cast(null as TIME) end as _sl_v9,
    case when octet_length(_sl_t11) <= 65535 then cast(_sl_t11 as VARCHAR(65535))
  else cast(null as VARCHAR(65535)) end as _sl_v10,
    case when (_sl_b1 ~ '^([+-]?[0-9]+)$')
         then case when length(_sl_b1) <= 20 then case when cast(_sl_b1 as decimal(38,0)) between -9223372036854775808 and 9223372036854775807 then cast(_sl_b1 as BIGINT) end end
       when (_sl_b1 ~ '^([+-]?[0-9]{1,20}[.]0*)$')
         then case when length(split_part(_sl_b1, '.', 1)) <= 20 then case when cast(split_part(_sl_b1, '.', 1) as decimal(38,0)) between -9223372036854775808 and 9223372036854775807 then cast(split_part(_sl_b1, '.', 1) as BIGINT) end end
       when (_sl_b1 ~ '^([+-]?[0-9]{1,20}([.][0-9]{0,20})?[eE][+]?[0-9]{1,2})$')
         then case when (length(rtrim(split_part(regexp_replace(_sl_b1, '^[+-]|[eE].*$', ''), '.', 2), '0')) <= cast(regexp_replace(_sl_b1, '^.*[eE][+]?', '') as integer)) and length((case when _sl_b1 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_b1, '^[+-]|[eE].*$', ''), '.', 1) || rpad(split_part(regexp_replace(_sl_b1, '^[+-]|[eE].*$', ''), '.', 2), cast(regexp_replace(_sl_b1, '^.*[eE][+]?', '') as integer), '0'), '0'), ''), '0'))) <= 20
                   then case when cast((case when _sl_b1 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_b1, '^[+-]|[eE].*$', ''), '.', 1) || rpad(split_part(regexp_replace(_sl_b1, '^[+-]|[eE].*$', ''), '.', 2), cast(regexp_replace(_sl_b1, '^.*[eE][+]?', '') as integer), '0'), '0'), ''), '0')) as decimal(38,0)) between -9223372036854775808 and 9223372036854775807 then cast((case when _sl_b1 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_b1, '^[+-]|[eE].*$', ''), '.', 1) || rpad(split_part(regexp_replace(_sl_b1, '^[+-]|[eE].*$', ''), '.', 2), cast(regexp_replace(_sl_b1, '^.*[eE][+]?', '') as integer), '0'), '0'), ''), '0')) as BIGINT) end end
  end as _sl_bv1
  from parsed
)
select typed.*,
  case
      when payload is null and coalesce(octet_length(raw_data), 0) = 0 then null
      when payload is null then case when octet_length(raw_data) > 65535
  then 'not parsed as JSON: not valid JSON, or a string in it is longer than 65,535 bytes, which Redshift parses only with enable_large_strings_opt_in on'
  else 'not valid JSON' end
      when not _sl_rule_ok then 'not valid JSON'
      when _sl_record_type is null then 'not a Debezium change event (no op)'
      when _sl_record_type = 'data' and _sl_table is null then 'source.table is missing'
      when _sl_record_type = 'data' and _sl_table = 'payment' and _sl_schema = 'public'
        then case
    when _sl_metadata_problem is not null
      then _sl_metadata_problem
    when _sl_t1 is null
      then 'key column id is missing'
    when _sl_undecoded is not null
      then _sl_undecoded
    when _sl_t1 is not null and _sl_v1 is null
      then 'column id: value does not fit BIGINT'
    when _sl_b1 is not null and _sl_bv1 is null
      then 'before-image key column id: value does not fit BIGINT'
  end
      when _sl_record_type = 'control' and _sl_table = 'payment' and _sl_schema = 'public'
        then case when _sl_op = 'drop-table'
       then 'drop-table: the source table was dropped; the mirror keeps its rows'
     when _sl_op = 'truncate-table' and _sl_commit_text is null
       then 'truncate (op t) without source.ts_ms cannot be placed in commit order; the mirror keeps its rows'
     when _sl_op = 'truncate-table' and _sl_trid is null
       then 'truncate (op t) without a source position (lsn, or file and pos) cannot be placed in commit order; the mirror keeps its rows'
     when _sl_op = 'truncate-table' then case
       when 'load' is null or 'load' not in ('load', 'insert', 'update', 'delete')
      then case when 'load' = 'not-sent' then 'not sent: the row''s change was over the stream''s record size limit, so capture sent this stand-in (its key, its small values, the size and the columns left out); the mirror row stays as it was (missing, after an insert) until the row''s next change' else 'unknown Debezium op ' || coalesce('load', '(missing)') end
    when _sl_commit_text is null and _sl_ts_text is null
      then 'source.ts_ms is missing'
    when _sl_commit_text is not null and not (_sl_commit_text ~ '^([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[.][0-9]{6})$')
      then 'source.ts_ms is not a number of milliseconds since 1970 (years 1-9999)'
    when _sl_ts_text is not null and not (_sl_ts_text ~ '^([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[.][0-9]{6})$')
      then 'ts_ms is not a number of milliseconds since 1970 (years 1-9999)'
    when _sl_trid is null and 'load' <> 'load'
      then 'the source position is missing (source.lsn, or source.file and source.pos)'
    when _sl_trid is not null and not (_sl_trid ~ '^([0-9]{40})$')
      then 'the source position is not whole numbers (source.lsn and source.sequence, or source.file, pos and row)'
     end
end
    end as _sl_problem,
  case when _sl_record_type = 'data' then case when _sl_op = 'delete' then '' else case when _sl_t2 is not null and _sl_v2 is null then '|2|' else '' end || case when _sl_t3 is not null and _sl_v3 is null then '|3|' else '' end || case when _sl_t4 is not null and _sl_v4 is null then '|4|' else '' end || case when _sl_t5 is not null and _sl_v5 is null then '|5|' else '' end || case when _sl_t6 is not null and _sl_v6 is null then '|6|' else '' end || case when _sl_t7 is not null and _sl_v7 is null then '|7|' else '' end || case when _sl_t8 is not null and _sl_v8 is null then '|8|' else '' end || case when _sl_t9 is not null and _sl_v9 is null then '|9|' else '' end || case when _sl_t10 is not null and not (((_sl_t10 ~ '^((0x)?([0-9a-fA-F]{2})*)$') and length(regexp_replace(_sl_t10, '^0x', '')) <= 2048000)) then '|10|' else '' end || case when _sl_t11 is not null and _sl_v10 is null then '|11|' else '' end || case when _sl_t12 is not null and not (can_json_parse(_sl_t12)) then '|12|' else '' end end else '' end as _sl_misfits
from typed
);
create temporary table "payment__streamleap_cycle" as (
with new_rows as (
  select * from "payment__streamleap_checked"
  where refresh_time > coalesce((select max(watermark) from "dev"."public"."streamleap_state" where relation_name = 'dev.public.payment'), cast('1900-01-01 00:00:00' as timestamp))
),
batch_end as (
  
  select max(refresh_time) as _sl_batch_end from new_rows
),
checked as (
  select new_rows.*, batch_end._sl_batch_end
  from new_rows cross join batch_end
  where _sl_record_type = 'data'
),
truncates as (
  select
    case when _sl_op = 'load' then '0' else '1' end
      || coalesce(_sl_trid, '0000000000000000000000000000000000000000')
      || lpad(cast(length(sequence_number) as varchar), 3, '0') || sequence_number as _streamleap_order,
    case when _sl_truncate_problem is null then cast(substr(_sl_truncate_digits, 1, 4) || '-' || substr(_sl_truncate_digits, 5, 2) || '-' || substr(_sl_truncate_digits, 7, 2) || ' ' || substr(_sl_truncate_digits, 9, 2) || ':' || substr(_sl_truncate_digits, 11, 2) || ':' || substr(_sl_truncate_digits, 13, 2) || '.' || substr(_sl_truncate_digits, 15, 6) as timestamp) end as _streamleap_commit_ts,
    _sl_batch_end as _streamleap_synced_at
  from (select r.*, r._sl_problem as _sl_truncate_problem, rpad(substr(r._sl_commit_text, 1, 4) || substr(r._sl_commit_text, 6, 2) || substr(r._sl_commit_text, 9, 2) || substr(r._sl_commit_text, 12, 2) || substr(r._sl_commit_text, 15, 2) || substr(r._sl_commit_text, 18, 2)
       || case when substr(r._sl_commit_text, 20, 1) = '.' then split_part(translate(substr(r._sl_commit_text, 21, 13), 'Z+-', '...'), '.', 1) else '' end, 20, '0') as _sl_truncate_digits
        from (select new_rows.*, batch_end._sl_batch_end from new_rows cross join batch_end where _sl_record_type = 'control') r where r._sl_op = 'truncate-table') t
  where _sl_truncate_problem is null
),
changes as (
  select
    _sl_v1 as "id",
    case when _sl_v2 is not null then _sl_v2 else case
    when not (case when (_sl_t2 ~ '^([+-]?0*[0-9]{0,10}([.][0-9]*)?)$')
          then (_sl_t2 ~ '^([+-]?[.]?[0-9].*)$')
        when (_sl_t2 ~ '^([+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)[eE][+-]?[0-9]{1,3})$')
          then case when (case when (_sl_t2 ~ '^(.*[0-9nN].*)$') then try_cast(_sl_t2 as DOUBLE PRECISION) is not null else false end) then abs(cast(_sl_t2 as double precision)) < 1e10 - 1 else false end
        else false end) then cast(null as DECIMAL(12,2))
    when (_sl_t2 ~ '^(.*[eE].*)$') then cast(cast(_sl_t2 as double precision) as DECIMAL(12,2))
    when substr(split_part(regexp_replace(_sl_t2, '^[+-]', ''), '.', 2), 3, 1) < '5' then cast(case when _sl_t2 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_t2, '^[+-]', ''), '.', 1), '0'), ''), '0') || '.' || rpad(substr(split_part(regexp_replace(_sl_t2, '^[+-]', ''), '.', 2), 1, 2), 2, '0') as DECIMAL(12,2))
    when abs(cast(case when _sl_t2 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_t2, '^[+-]', ''), '.', 1), '0'), ''), '0') || '.' || rpad(substr(split_part(regexp_replace(_sl_t2, '^[+-]', ''), '.', 2), 1, 2), 2, '0') as DECIMAL(12,2))) >= cast('9999999999.99' as DECIMAL(12,2)) then cast(null as DECIMAL(12,2))
    when _sl_t2 like '-%' then cast(cast(case when _sl_t2 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_t2, '^[+-]', ''), '.', 1), '0'), ''), '0') || '.' || rpad(substr(split_part(regexp_replace(_sl_t2, '^[+-]', ''), '.', 2), 1, 2), 2, '0') as DECIMAL(12,2)) - cast('0.01' as DECIMAL(12,2)) as DECIMAL(12,2))
    else cast(cast(case when _sl_t2 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_t2, '^[+-]', ''), '.', 1), '0'), ''), '0') || '.' || rpad(substr(split_part(regexp_replace(_sl_t2, '^[+-]', ''), '.', 2), 1, 2), 2, '0') as DECIMAL(12,2)) + cast('0.01' as DECIMAL(12,2)) as DECIMAL(12,2))
  end end as "amount",
    case when _sl_v3 is not null then _sl_v3 else case
    when not (case when (_sl_t3 ~ '^([+-]?0*[0-9]{0,28}([.][0-9]*)?)$')
          then (_sl_t3 ~ '^([+-]?[.]?[0-9].*)$')
        when (_sl_t3 ~ '^([+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)[eE][+-]?[0-9]{1,3})$')
          then case when (case when (_sl_t3 ~ '^(.*[0-9nN].*)$') then try_cast(_sl_t3 as DOUBLE PRECISION) is not null else false end) then abs(cast(_sl_t3 as double precision)) < 1e28 - 1 else false end
        else false end) then cast(null as DECIMAL(38,10))
    when (_sl_t3 ~ '^(.*[eE].*)$') then cast(cast(_sl_t3 as double precision) as DECIMAL(38,10))
    when substr(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 2), 11, 1) < '5' then cast(case when _sl_t3 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 1), '0'), ''), '0') || '.' || rpad(substr(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 2), 1, 10), 10, '0') as DECIMAL(38,10))
    when abs(cast(case when _sl_t3 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 1), '0'), ''), '0') || '.' || rpad(substr(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 2), 1, 10), 10, '0') as DECIMAL(38,10))) >= cast('9999999999999999999999999999.9999999999' as DECIMAL(38,10)) then cast(null as DECIMAL(38,10))
    when _sl_t3 like '-%' then cast(cast(case when _sl_t3 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 1), '0'), ''), '0') || '.' || rpad(substr(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 2), 1, 10), 10, '0') as DECIMAL(38,10)) - cast('0.0000000001' as DECIMAL(38,10)) as DECIMAL(38,10))
    else cast(cast(case when _sl_t3 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 1), '0'), ''), '0') || '.' || rpad(substr(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 2), 1, 10), 10, '0') as DECIMAL(38,10)) + cast('0.0000000001' as DECIMAL(38,10)) as DECIMAL(38,10))
  end end as "ratio",
    case when _sl_v4 is not null then _sl_v4 else cast(null as DATE) end as "paid_on",
    case when _sl_v5 is not null then _sl_v5 else cast(null as TIMESTAMP) end as "at_ms",
    case when _sl_v6 is not null then _sl_v6 else cast(null as TIMESTAMP) end as "at_us",
    case when _sl_v7 is not null then _sl_v7 else cast(null as TIMESTAMPTZ) end as "at_tz",
    case when _sl_v8 is not null then _sl_v8 else cast(null as TIME) end as "t_ms",
    case when _sl_v9 is not null then _sl_v9 else cast(null as TIME) end as "t_us",
    case when ((_sl_t10 ~ '^((0x)?([0-9a-fA-F]{2})*)$') and length(regexp_replace(_sl_t10, '^0x', '')) <= 2048000) then to_varbyte(regexp_replace(_sl_t10, '^0x', ''), 'hex')
  else case when (_sl_t10 ~ '^((0x)?([0-9a-fA-F]{2})*)$') then to_varbyte(substr(regexp_replace(_sl_t10, '^0x', ''), 1, 2048000), 'hex') end end as "raw",
    case when _sl_v10 is not null then _sl_v10 else cast(from_varbyte(substring(to_varbyte(substr(_sl_t11, 1, 65536), 'utf8'), 1, (case when not (substring(to_hex(substring(to_varbyte(substr(_sl_t11, 1, 65536), 'utf8'), 65536, 1)), 1, 1) in ('8', '9', 'a', 'b', 'A', 'B')) then 65535 when not (substring(to_hex(substring(to_varbyte(substr(_sl_t11, 1, 65536), 'utf8'), 65535, 1)), 1, 1) in ('8', '9', 'a', 'b', 'A', 'B')) then 65534 when not (substring(to_hex(substring(to_varbyte(substr(_sl_t11, 1, 65536), 'utf8'), 65534, 1)), 1, 1) in ('8', '9', 'a', 'b', 'A', 'B')) then 65533 else 65532 end)), 'utf8') as VARCHAR(65535)) end as "note",
    case when is_varchar(payload."payload"."after"."doc") then case when can_json_parse(payload."payload"."after"."doc"::varchar) then json_parse(payload."payload"."after"."doc"::varchar) end else payload."payload"."after"."doc" end as "doc",
    _sl_bv1 as _sl_before_1,
    _sl_op,
    case when _sl_op = 'load' then '0' else '1' end
      || coalesce(_sl_trid, '0000000000000000000000000000000000000000')
      || lpad(cast(length(sequence_number) as varchar), 3, '0') || sequence_number as _streamleap_order,
    case when _sl_problem is null then cast(substr(_sl_time_digits, 1, 4) || '-' || substr(_sl_time_digits, 5, 2) || '-' || substr(_sl_time_digits, 7, 2) || ' ' || substr(_sl_time_digits, 9, 2) || ':' || substr(_sl_time_digits, 11, 2) || ':' || substr(_sl_time_digits, 13, 2) || '.' || substr(_sl_time_digits, 15, 6) as timestamp) end as _streamleap_commit_ts,
    _sl_batch_end as _streamleap_synced_at
  from checked
  where _sl_problem is null
),
keyed as (
  select
    "id",
    "amount",
    "ratio",
    "paid_on",
    "at_ms",
    "at_us",
    "at_tz",
    "t_ms",
    "t_us",
    "raw",
    "note",
    "doc",
    _sl_op as _streamleap_op, _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at
  from changes
  union all
  
  select
    _sl_before_1,
    cast(null as DECIMAL(12,2)),
    cast(null as DECIMAL(38,10)),
    cast(null as DATE),
    cast(null as TIMESTAMP),
    cast(null as TIMESTAMP),
    cast(null as TIMESTAMPTZ),
    cast(null as TIME),
    cast(null as TIME),
    cast(null as VARBYTE(1024000)),
    cast(null as VARCHAR(65535)),
    cast(null as SUPER),
    'delete', _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at
  from changes
  where _sl_op = 'update'
    and _sl_before_1 is not null
    and not (_sl_before_1 = "id")
),
ranked as (
  select keyed.*, row_number() over (
    partition by "id"
    order by _streamleap_order desc) as _sl_rank
  from keyed
)
select
  ranked."id",
  ranked."amount",
  ranked."ratio",
  ranked."paid_on",
  ranked."at_ms",
  ranked."at_us",
  ranked."at_tz",
  ranked."t_ms",
  ranked."t_us",
  ranked."raw",
  ranked."note",
  ranked."doc",
  cast(ranked._streamleap_op as varchar(16)) as _streamleap_op,
  cast(ranked._streamleap_order as varchar(256)) as _streamleap_order,
  ranked._streamleap_commit_ts,
  ranked._streamleap_synced_at
from ranked
where ranked._sl_rank = 1
union all
select
  cast(null as BIGINT),
  cast(null as DECIMAL(12,2)),
  cast(null as DECIMAL(38,10)),
  cast(null as DATE),
  cast(null as TIMESTAMP),
  cast(null as TIMESTAMP),
  cast(null as TIMESTAMPTZ),
  cast(null as TIME),
  cast(null as TIME),
  cast(null as VARBYTE(1024000)),
  cast(null as VARCHAR(65535)),
  cast(null as SUPER),
  cast('truncate' as varchar(16)), cast(_streamleap_order as varchar(256)), _streamleap_commit_ts, _streamleap_synced_at
from truncates
);

insert into "dev"."public"."streamleap_state" (relation_name, watermark, fingerprint, updated_at)
select 'dev.public.payment', cast(null as timestamp), cast(null as varchar(4096)), getdate()
where not exists (select 1 from "dev"."public"."streamleap_state" where relation_name = 'dev.public.payment');
delete from "payment__streamleap_cycle" using "dev"."public"."payment"
where "payment__streamleap_cycle"."id" = "payment"."id" and "payment__streamleap_cycle"._streamleap_order <= "payment"._streamleap_order;
delete from "payment__streamleap_cycle" using "dev"."public"."payment__streamleap_tombstones"
where "payment__streamleap_cycle"."id" = "payment__streamleap_tombstones"."id" and "payment__streamleap_cycle"._streamleap_order <= "payment__streamleap_tombstones"._streamleap_order;
delete from "payment__streamleap_cycle" using "dev"."public"."streamleap_truncates"
where "streamleap_truncates".relation_name = 'dev.public.payment'
  and "payment__streamleap_cycle"._streamleap_order <= "streamleap_truncates".truncated_order
  and not ("payment__streamleap_cycle"._streamleap_op = 'load' and "payment__streamleap_cycle"._streamleap_commit_ts > "streamleap_truncates".truncated_at);
update "dev"."public"."streamleap_state"
set applied_rows = (select count(*) from "payment__streamleap_cycle" where _streamleap_op in ('load', 'insert', 'update', 'delete')),
    newest_commit_ts = coalesce((select max(_streamleap_commit_ts) from "payment__streamleap_cycle" where _streamleap_op in ('load', 'insert', 'update', 'delete')), newest_commit_ts)
where relation_name = 'dev.public.payment';
delete from "dev"."public"."payment" using "payment__streamleap_cycle"
where "payment"."id" = "payment__streamleap_cycle"."id";
insert into "dev"."public"."payment" ("id", "amount", "ratio", "paid_on", "at_ms", "at_us", "at_tz", "t_ms", "t_us", "raw", "note", "doc", "_streamleap_op", "_streamleap_order", "_streamleap_commit_ts", "_streamleap_synced_at")
select "id", "amount", "ratio", "paid_on", "at_ms", "at_us", "at_tz", "t_ms", "t_us", "raw", "note", "doc", "_streamleap_op", "_streamleap_order", "_streamleap_commit_ts", "_streamleap_synced_at"
from "payment__streamleap_cycle" where _streamleap_op not in ('delete', 'truncate');
delete from "dev"."public"."payment__streamleap_tombstones" using "payment__streamleap_cycle"
where "payment__streamleap_tombstones"."id" = "payment__streamleap_cycle"."id";
insert into "dev"."public"."payment__streamleap_tombstones" ("id", _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at)
select "id", _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at
from "payment__streamleap_cycle" where _streamleap_op = 'delete';

delete from "dev"."public"."payment" where _streamleap_order < (select max(_streamleap_order) from "payment__streamleap_cycle" where _streamleap_op = 'truncate')
  and not (_streamleap_op = 'load' and _streamleap_commit_ts > (select max(_streamleap_commit_ts) from "payment__streamleap_cycle" where _streamleap_op = 'truncate'));
delete from "dev"."public"."payment__streamleap_tombstones" where _streamleap_order < (select max(_streamleap_order) from "payment__streamleap_cycle" where _streamleap_op = 'truncate');
delete from "dev"."public"."streamleap_truncates" where relation_name = 'dev.public.payment' and exists (select 1 from "payment__streamleap_cycle" where _streamleap_op = 'truncate');
insert into "dev"."public"."streamleap_truncates" (relation_name, truncated_order, truncated_at, synced_at)
select 'dev.public.payment', _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at from "payment__streamleap_cycle"
where _streamleap_op = 'truncate' and _streamleap_order = (select max(_streamleap_order) from "payment__streamleap_cycle" where _streamleap_op = 'truncate');
insert into "dbz_cdc_set_aside__streamleap_kept"
select * from (
with judged as (
  select refresh_time, shard_id, sequence_number, partition_key, payload, raw_data,
    _sl_schema as schema_name, _sl_table as table_name, _sl_op as operation, _sl_problem as reason,
    _sl_misfits, _sl_t1, _sl_t2, _sl_t3, _sl_t4, _sl_t5, _sl_t6, _sl_t7, _sl_t8, _sl_t9, _sl_t10, _sl_t11, _sl_t12,
    max(refresh_time) over () as _streamleap_synced_at
  from "payment__streamleap_checked"
  where refresh_time > coalesce((select max(watermark) from "dev"."public"."streamleap_state" where relation_name = 'dev.public.dbz_cdc_set_aside'), cast('1900-01-01 00:00:00' as timestamp))
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
    when not (case when (_sl_t2 ~ '^([+-]?0*[0-9]{0,10}([.][0-9]*)?)$')
          then (_sl_t2 ~ '^([+-]?[.]?[0-9].*)$')
        when (_sl_t2 ~ '^([+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)[eE][+-]?[0-9]{1,3})$')
          then case when (case when (_sl_t2 ~ '^(.*[0-9nN].*)$') then try_cast(_sl_t2 as DOUBLE PRECISION) is not null else false end) then abs(cast(_sl_t2 as double precision)) < 1e10 - 1 else false end
        else false end) then cast(null as DECIMAL(12,2))
    when (_sl_t2 ~ '^(.*[eE].*)$') then cast(cast(_sl_t2 as double precision) as DECIMAL(12,2))
    when substr(split_part(regexp_replace(_sl_t2, '^[+-]', ''), '.', 2), 3, 1) < '5' then cast(case when _sl_t2 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_t2, '^[+-]', ''), '.', 1), '0'), ''), '0') || '.' || rpad(substr(split_part(regexp_replace(_sl_t2, '^[+-]', ''), '.', 2), 1, 2), 2, '0') as DECIMAL(12,2))
    when abs(cast(case when _sl_t2 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_t2, '^[+-]', ''), '.', 1), '0'), ''), '0') || '.' || rpad(substr(split_part(regexp_replace(_sl_t2, '^[+-]', ''), '.', 2), 1, 2), 2, '0') as DECIMAL(12,2))) >= cast('9999999999.99' as DECIMAL(12,2)) then cast(null as DECIMAL(12,2))
    when _sl_t2 like '-%' then cast(cast(case when _sl_t2 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_t2, '^[+-]', ''), '.', 1), '0'), ''), '0') || '.' || rpad(substr(split_part(regexp_replace(_sl_t2, '^[+-]', ''), '.', 2), 1, 2), 2, '0') as DECIMAL(12,2)) - cast('0.01' as DECIMAL(12,2)) as DECIMAL(12,2))
    else cast(cast(case when _sl_t2 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_t2, '^[+-]', ''), '.', 1), '0'), ''), '0') || '.' || rpad(substr(split_part(regexp_replace(_sl_t2, '^[+-]', ''), '.', 2), 1, 2), 2, '0') as DECIMAL(12,2)) + cast('0.01' as DECIMAL(12,2)) as DECIMAL(12,2))
  end) is null then 'set to NULL'
         else 'rounded to 2 decimals' end
    when 3 then 'column ratio: value does not fit DECIMAL(38,10); adjusted: ' || case when (case
    when not (case when (_sl_t3 ~ '^([+-]?0*[0-9]{0,28}([.][0-9]*)?)$')
          then (_sl_t3 ~ '^([+-]?[.]?[0-9].*)$')
        when (_sl_t3 ~ '^([+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)[eE][+-]?[0-9]{1,3})$')
          then case when (case when (_sl_t3 ~ '^(.*[0-9nN].*)$') then try_cast(_sl_t3 as DOUBLE PRECISION) is not null else false end) then abs(cast(_sl_t3 as double precision)) < 1e28 - 1 else false end
        else false end) then cast(null as DECIMAL(38,10))
    when (_sl_t3 ~ '^(.*[eE].*)$') then cast(cast(_sl_t3 as double precision) as DECIMAL(38,10))
    when substr(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 2), 11, 1) < '5' then cast(case when _sl_t3 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 1), '0'), ''), '0') || '.' || rpad(substr(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 2), 1, 10), 10, '0') as DECIMAL(38,10))
    when abs(cast(case when _sl_t3 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 1), '0'), ''), '0') || '.' || rpad(substr(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 2), 1, 10), 10, '0') as DECIMAL(38,10))) >= cast('9999999999999999999999999999.9999999999' as DECIMAL(38,10)) then cast(null as DECIMAL(38,10))
    when _sl_t3 like '-%' then cast(cast(case when _sl_t3 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 1), '0'), ''), '0') || '.' || rpad(substr(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 2), 1, 10), 10, '0') as DECIMAL(38,10)) - cast('0.0000000001' as DECIMAL(38,10)) as DECIMAL(38,10))
    else cast(cast(case when _sl_t3 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 1), '0'), ''), '0') || '.' || rpad(substr(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 2), 1, 10), 10, '0') as DECIMAL(38,10)) + cast('0.0000000001' as DECIMAL(38,10)) as DECIMAL(38,10))
  end) is null then 'set to NULL'
         else 'rounded to 10 decimals' end
    when 4 then 'column paid_on: value does not fit DATE; adjusted: ' || 'set to NULL'
    when 5 then 'column at_ms: value does not fit TIMESTAMP; adjusted: ' || 'set to NULL'
    when 6 then 'column at_us: value does not fit TIMESTAMP; adjusted: ' || 'set to NULL'
    when 7 then 'column at_tz: value does not fit TIMESTAMPTZ; adjusted: ' || 'set to NULL'
    when 8 then 'column t_ms: value does not fit TIME; adjusted: ' || 'set to NULL'
    when 9 then 'column t_us: value does not fit TIME; adjusted: ' || 'set to NULL'
    when 10 then 'column raw: value does not fit VARBYTE(1024000); adjusted: ' || case when (case when (_sl_t10 ~ '^((0x)?([0-9a-fA-F]{2})*)$') then to_varbyte(substr(regexp_replace(_sl_t10, '^0x', ''), 1, 2048000), 'hex') end) is null then 'set to NULL'
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
) judged;
drop table "payment__streamleap_checked";
insert into "dev"."public"."dbz_cdc_set_aside" (refresh_time, shard_id, sequence_number, partition_key, schema_name, table_name, operation, reason, column_name, adjusted, raw_data, _streamleap_synced_at)
select refresh_time, shard_id, sequence_number, partition_key, schema_name, table_name, operation, reason, column_name, adjusted, raw_data, _streamleap_synced_at from "dbz_cdc_set_aside__streamleap_kept";
update "dev"."public"."streamleap_state"
set applied_rows = (select count(*) from "dbz_cdc_set_aside__streamleap_kept" where adjusted = false)
where relation_name = 'dev.public.dbz_cdc_set_aside';
drop table "dbz_cdc_set_aside__streamleap_kept";
drop table "payment__streamleap_cycle";
update "dev"."public"."streamleap_state"
set watermark = (select max(refresh_time) from "streamleap_cycle_batch"), updated_at = getdate()
where relation_name in (select relation_name from "streamleap_cycle_models" where staging_name = 'dev.public.stg_dbz_cdc')
  and (watermark is null or watermark < (select max(refresh_time) from "streamleap_cycle_batch"));
drop table "streamleap_cycle_batch";
commit
