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
refresh materialized view "dev"."public"."stg_flat_cdc";
select max(refresh_time) from "dev"."public"."stg_flat_cdc" where refresh_time > (select min(coalesce(watermark, cast('1900-01-01 00:00:00' as timestamp))) from (select watermark from "dev"."public"."streamleap_state" where relation_name in (select relation_name from "streamleap_cycle_models" where staging_name = 'dev.public.stg_flat_cdc')) marks);
begin;
lock "dev"."public"."streamleap_state";
create temporary table "streamleap_cycle_batch" as (
select records.*,
  case
    when _sl_op is null or _sl_op not in ('insert', 'update', 'delete')
      then 'unknown op ' || coalesce(_sl_op, '(missing)') || ' (I, U or D)'
    when _sl_trid is null or not (_sl_trid ~ '^([0-9]{40})$')
      then 'the order field seq is not a whole number of at most 39 digits'
    when _sl_commit_text is not null and not (case when (_sl_commit_text ~ '^(([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[ T](([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?)(Z|[+-](0[0-9]|1[0-4])(:?[0-5][0-9])?)?)$')
                                               then (try_cast(substr(_sl_commit_text, 1, 10) as date) is not null) else false end)
      then 'ts is neither milliseconds since 1970 nor an ISO-8601 time'
  end as _sl_metadata_problem,
  true as _sl_rule_ok,
  rpad(substr(coalesce(_sl_commit_text, _sl_ts_text), 1, 4) || substr(coalesce(_sl_commit_text, _sl_ts_text), 6, 2) || substr(coalesce(_sl_commit_text, _sl_ts_text), 9, 2) || substr(coalesce(_sl_commit_text, _sl_ts_text), 12, 2) || substr(coalesce(_sl_commit_text, _sl_ts_text), 15, 2) || substr(coalesce(_sl_commit_text, _sl_ts_text), 18, 2)
       || case when substr(coalesce(_sl_commit_text, _sl_ts_text), 20, 1) = '.' then split_part(translate(substr(coalesce(_sl_commit_text, _sl_ts_text), 21, 13), 'Z+-', '...'), '.', 1) else '' end, 20, '0') as _sl_time_digits
from (
select _sl_read.*,
  case upper(_sl_f_op) when 'I' then 'insert' when 'U' then 'update' when 'D' then 'delete' else _sl_f_op end as _sl_op,
  case when _sl_f_op is not null then 'data' end as _sl_record_type,
  case when (_sl_f_time ~ '^(-?[0-9]{1,15})$') then case when cast(_sl_f_time || '000' as bigint) between -62135596800000000 and 253402300799999999
       then replace(to_char(dateadd(microsecond, cast(cast(_sl_f_time || '000' as bigint) % 1000000 as integer),
          dateadd(second, cast((cast(_sl_f_time || '000' as bigint) / 1000000) % 86400 as integer),
            dateadd(day, cast(cast(_sl_f_time || '000' as bigint) / 86400000000 as integer), timestamp '1970-01-01 00:00:00'))), 'YYYY-MM-DD HH24:MI:SS.US'), ' ', 'T')
     else _sl_f_time end else _sl_f_time end as _sl_commit_text,
  cast(null as varchar) as _sl_ts_text,
  case when (_sl_f_order ~ '^([0-9]{1,39})$') then '1' || lpad(_sl_f_order, 39, '0') else 'x' end as _sl_trid,
  'visit' as _sl_table,
  'public' as _sl_schema
from (
select refresh_time, shard_id, sequence_number, partition_key, payload, raw_data,
    (case when is_varchar(payload."op") then payload."op"::varchar
        when payload."op" is null or json_typeof(payload."op") = 'null' then null
        when json_size(payload."op") > 65535 then null
        else json_serialize(payload."op") end) as _sl_f_op,
    (case when is_varchar(payload."seq") then payload."seq"::varchar
        when payload."seq" is null or json_typeof(payload."seq") = 'null' then null
        when json_size(payload."seq") > 65535 then null
        else json_serialize(payload."seq") end) as _sl_f_order,
    (case when is_varchar(payload."ts") then payload."ts"::varchar
        when payload."ts" is null or json_typeof(payload."ts") = 'null' then null
        when json_size(payload."ts") > 65535 then null
        else json_serialize(payload."ts") end) as _sl_f_time
  from (select refresh_time, shard_id, sequence_number, partition_key, payload, raw_data
        from "dev"."public"."stg_flat_cdc"
        where refresh_time > (select min(coalesce(watermark, cast('1900-01-01 00:00:00' as timestamp))) from (select watermark from "dev"."public"."streamleap_state" where relation_name in (select relation_name from "streamleap_cycle_models" where staging_name = 'dev.public.stg_flat_cdc')) marks)) new_rows
) _sl_read
) records
);
select _sl_schema, _sl_table, max(case when _sl_record_type = 'control' and _sl_op = 'truncate-table' then 1 else 0 end)
from "streamleap_cycle_batch"
group by _sl_schema, _sl_table;
drop table if exists "flat_cdc_set_aside__streamleap_kept";
create temporary table "flat_cdc_set_aside__streamleap_kept" as (
select * from (
with new_rows as (
  select refresh_time, shard_id, sequence_number, partition_key, payload, raw_data
  from "streamleap_cycle_batch"
  where refresh_time > coalesce((select max(watermark) from "dev"."public"."streamleap_state" where relation_name = 'dev.public.flat_cdc_set_aside'), cast('1900-01-01 00:00:00' as timestamp)) and not coalesce(_sl_table = 'visit' and _sl_schema = 'public', false)
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
  case upper(_sl_f_op) when 'I' then 'insert' when 'U' then 'update' when 'D' then 'delete' else _sl_f_op end as _sl_op,
  case when _sl_f_op is not null then 'data' end as _sl_record_type,
  case when (_sl_f_time ~ '^(-?[0-9]{1,15})$') then case when cast(_sl_f_time || '000' as bigint) between -62135596800000000 and 253402300799999999
       then replace(to_char(dateadd(microsecond, cast(cast(_sl_f_time || '000' as bigint) % 1000000 as integer),
          dateadd(second, cast((cast(_sl_f_time || '000' as bigint) / 1000000) % 86400 as integer),
            dateadd(day, cast(cast(_sl_f_time || '000' as bigint) / 86400000000 as integer), timestamp '1970-01-01 00:00:00'))), 'YYYY-MM-DD HH24:MI:SS.US'), ' ', 'T')
     else _sl_f_time end else _sl_f_time end as _sl_commit_text,
  cast(null as varchar) as _sl_ts_text,
  case when (_sl_f_order ~ '^([0-9]{1,39})$') then '1' || lpad(_sl_f_order, 39, '0') else 'x' end as _sl_trid,
  'visit' as _sl_table,
  'public' as _sl_schema
from (
select
    refresh_time, shard_id, sequence_number, partition_key, payload, raw_data,
    (case when is_varchar(payload."op") then payload."op"::varchar
        when payload."op" is null or json_typeof(payload."op") = 'null' then null
        when json_size(payload."op") > 65535 then null
        else json_serialize(payload."op") end) as _sl_f_op,
    (case when is_varchar(payload."seq") then payload."seq"::varchar
        when payload."seq" is null or json_typeof(payload."seq") = 'null' then null
        when json_size(payload."seq") > 65535 then null
        else json_serialize(payload."seq") end) as _sl_f_order,
    (case when is_varchar(payload."ts") then payload."ts"::varchar
        when payload."ts" is null or json_typeof(payload."ts") = 'null' then null
        when json_size(payload."ts") > 65535 then null
        else json_serialize(payload."ts") end) as _sl_f_time
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
      when record_type is null then 'not a change record (no op field)'
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
create temporary table "visit__streamleap_checked" as (
with new_rows as (
  select * from "streamleap_cycle_batch"
  where _sl_table = 'visit' and _sl_schema = 'public'
),
parsed as (
select _sl_read.*,
  cast(null as varchar) as _sl_b1
from (
select new_rows.*,
    (case when is_varchar(payload."id") then payload."id"::varchar
        when payload."id" is null or json_typeof(payload."id") = 'null' then null
        when json_size(payload."id") > 65535 then null
        else json_serialize(payload."id") end) as _sl_t1,
    (case when is_varchar(payload."page") then payload."page"::varchar
        when payload."page" is null or json_typeof(payload."page") = 'null' then null
        when json_size(payload."page") > 65535 then null
        else json_serialize(payload."page") end) as _sl_t2,
    (case when is_varchar(payload."amount") then payload."amount"::varchar
        when payload."amount" is null or json_typeof(payload."amount") = 'null' then null
        when json_size(payload."amount") > 65535 then null
        else json_serialize(payload."amount") end) as _sl_t3,
    (case when is_varchar(payload."at") then payload."at"::varchar
        when payload."at" is null or json_typeof(payload."at") = 'null' then null
        when json_size(payload."at") > 65535 then null
        else json_serialize(payload."at") end) as _sl_t4
  from (select new_rows.* from new_rows) new_rows
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
    case when octet_length(_sl_t2) <= 800 then cast(_sl_t2 as VARCHAR(800))
  else cast(null as VARCHAR(800)) end as _sl_v2,
    case when (case when (_sl_t3 ~ '^([+-]?0*[0-9]{0,8}([.][0-9]{0,2}0*)?)$')
            then _sl_t3 not in ('', '+', '-', '.', '+.', '-.')
          else false end) then cast(_sl_t3 as DECIMAL(10,2))
  else cast(null as DECIMAL(10,2)) end as _sl_v3,
    case when (case when (_sl_t4 ~ '^(([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[ T](([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?|24:00:00))$') then (try_cast(replace(_sl_t4, 'T', ' ') as TIMESTAMP) is not null) else false end) then cast(replace(_sl_t4, 'T', ' ') as TIMESTAMP)
  else cast(null as TIMESTAMP) end as _sl_v4,
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
      when _sl_record_type is null then 'not a change record (no op field)'
      when _sl_record_type = 'data' and _sl_table = 'visit' and _sl_schema = 'public'
        then case
    when _sl_metadata_problem is not null
      then _sl_metadata_problem
    when _sl_t1 is null
      then 'key column id is missing'
    when _sl_t1 is not null and _sl_v1 is null
      then 'column id: value does not fit BIGINT'
    when _sl_b1 is not null and _sl_bv1 is null
      then 'before-image key column id: value does not fit BIGINT'
  end
      when _sl_record_type = 'control' and _sl_table = 'visit' and _sl_schema = 'public'
        then case when _sl_op = 'drop-table'
       then 'drop-table: the source table was dropped; the mirror keeps its rows'
     when _sl_op = 'truncate-table' and _sl_commit_text is null
       then 'truncate (op t) without source.ts_ms cannot be placed in commit order; the mirror keeps its rows'
     when _sl_op = 'truncate-table' and _sl_trid is null
       then 'truncate (op t) without a source position (lsn, or file and pos) cannot be placed in commit order; the mirror keeps its rows'
     when _sl_op = 'truncate-table' then case
       when 'load' is null or 'load' not in ('insert', 'update', 'delete')
      then 'unknown op ' || coalesce('load', '(missing)') || ' (I, U or D)'
    when _sl_trid is null or not (_sl_trid ~ '^([0-9]{40})$')
      then 'the order field seq is not a whole number of at most 39 digits'
    when _sl_commit_text is not null and not (case when (_sl_commit_text ~ '^(([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[ T](([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?)(Z|[+-](0[0-9]|1[0-4])(:?[0-5][0-9])?)?)$')
                                               then (try_cast(substr(_sl_commit_text, 1, 10) as date) is not null) else false end)
      then 'ts is neither milliseconds since 1970 nor an ISO-8601 time'
     end
end
    end as _sl_problem,
  case when _sl_record_type = 'data' then case when _sl_op = 'delete' then '' else case when _sl_t2 is not null and _sl_v2 is null then '|2|' else '' end || case when _sl_t3 is not null and _sl_v3 is null then '|3|' else '' end || case when _sl_t4 is not null and _sl_v4 is null then '|4|' else '' end end else '' end as _sl_misfits
from typed
);
create temporary table "visit__streamleap_cycle" as (
with new_rows as (
  select * from "visit__streamleap_checked"
  where refresh_time > coalesce((select max(watermark) from "dev"."public"."streamleap_state" where relation_name = 'dev.public.visit'), cast('1900-01-01 00:00:00' as timestamp))
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
    case when _sl_v2 is not null then _sl_v2 else cast(from_varbyte(substring(to_varbyte(substr(_sl_t2, 1, 801), 'utf8'), 1, (case when not (substring(to_hex(substring(to_varbyte(substr(_sl_t2, 1, 801), 'utf8'), 801, 1)), 1, 1) in ('8', '9', 'a', 'b', 'A', 'B')) then 800 when not (substring(to_hex(substring(to_varbyte(substr(_sl_t2, 1, 801), 'utf8'), 800, 1)), 1, 1) in ('8', '9', 'a', 'b', 'A', 'B')) then 799 when not (substring(to_hex(substring(to_varbyte(substr(_sl_t2, 1, 801), 'utf8'), 799, 1)), 1, 1) in ('8', '9', 'a', 'b', 'A', 'B')) then 798 else 797 end)), 'utf8') as VARCHAR(800)) end as "page",
    case when _sl_v3 is not null then _sl_v3 else case
    when not (case when (_sl_t3 ~ '^([+-]?0*[0-9]{0,8}([.][0-9]*)?)$')
          then (_sl_t3 ~ '^([+-]?[.]?[0-9].*)$')
        when (_sl_t3 ~ '^([+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)[eE][+-]?[0-9]{1,3})$')
          then case when (case when (_sl_t3 ~ '^(.*[0-9nN].*)$') then try_cast(_sl_t3 as DOUBLE PRECISION) is not null else false end) then abs(cast(_sl_t3 as double precision)) < 1e8 - 1 else false end
        else false end) then cast(null as DECIMAL(10,2))
    when (_sl_t3 ~ '^(.*[eE].*)$') then cast(cast(_sl_t3 as double precision) as DECIMAL(10,2))
    when substr(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 2), 3, 1) < '5' then cast(case when _sl_t3 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 1), '0'), ''), '0') || '.' || rpad(substr(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 2), 1, 2), 2, '0') as DECIMAL(10,2))
    when abs(cast(case when _sl_t3 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 1), '0'), ''), '0') || '.' || rpad(substr(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 2), 1, 2), 2, '0') as DECIMAL(10,2))) >= cast('99999999.99' as DECIMAL(10,2)) then cast(null as DECIMAL(10,2))
    when _sl_t3 like '-%' then cast(cast(case when _sl_t3 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 1), '0'), ''), '0') || '.' || rpad(substr(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 2), 1, 2), 2, '0') as DECIMAL(10,2)) - cast('0.01' as DECIMAL(10,2)) as DECIMAL(10,2))
    else cast(cast(case when _sl_t3 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 1), '0'), ''), '0') || '.' || rpad(substr(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 2), 1, 2), 2, '0') as DECIMAL(10,2)) + cast('0.01' as DECIMAL(10,2)) as DECIMAL(10,2))
  end end as "amount",
    case when _sl_v4 is not null then _sl_v4 else cast(null as TIMESTAMP) end as "at",
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
    "page",
    "amount",
    "at",
    _sl_op as _streamleap_op, _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at
  from changes
  union all
  
  select
    _sl_before_1,
    cast(null as VARCHAR(800)),
    cast(null as DECIMAL(10,2)),
    cast(null as TIMESTAMP),
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
  ranked."page",
  ranked."amount",
  ranked."at",
  cast(ranked._streamleap_op as varchar(16)) as _streamleap_op,
  cast(ranked._streamleap_order as varchar(256)) as _streamleap_order,
  ranked._streamleap_commit_ts,
  ranked._streamleap_synced_at
from ranked
where ranked._sl_rank = 1
union all
select
  cast(null as BIGINT),
  cast(null as VARCHAR(800)),
  cast(null as DECIMAL(10,2)),
  cast(null as TIMESTAMP),
  cast('truncate' as varchar(16)), cast(_streamleap_order as varchar(256)), _streamleap_commit_ts, _streamleap_synced_at
from truncates
);

insert into "dev"."public"."streamleap_state" (relation_name, watermark, fingerprint, updated_at)
select 'dev.public.visit', cast(null as timestamp), cast(null as varchar(4096)), getdate()
where not exists (select 1 from "dev"."public"."streamleap_state" where relation_name = 'dev.public.visit');
delete from "visit__streamleap_cycle" using "dev"."public"."visit"
where "visit__streamleap_cycle"."id" = "visit"."id" and "visit__streamleap_cycle"._streamleap_order <= "visit"._streamleap_order;
delete from "visit__streamleap_cycle" using "dev"."public"."visit__streamleap_tombstones"
where "visit__streamleap_cycle"."id" = "visit__streamleap_tombstones"."id" and "visit__streamleap_cycle"._streamleap_order <= "visit__streamleap_tombstones"._streamleap_order;
delete from "visit__streamleap_cycle" using "dev"."public"."streamleap_truncates"
where "streamleap_truncates".relation_name = 'dev.public.visit'
  and "visit__streamleap_cycle"._streamleap_order <= "streamleap_truncates".truncated_order
  and not ("visit__streamleap_cycle"._streamleap_op = 'load' and "visit__streamleap_cycle"._streamleap_commit_ts > "streamleap_truncates".truncated_at);
update "dev"."public"."streamleap_state"
set applied_rows = (select count(*) from "visit__streamleap_cycle" where _streamleap_op in ('load', 'insert', 'update', 'delete')),
    newest_commit_ts = coalesce((select max(_streamleap_commit_ts) from "visit__streamleap_cycle" where _streamleap_op in ('load', 'insert', 'update', 'delete')), newest_commit_ts)
where relation_name = 'dev.public.visit';
delete from "dev"."public"."visit" using "visit__streamleap_cycle"
where "visit"."id" = "visit__streamleap_cycle"."id";
insert into "dev"."public"."visit" ("id", "page", "amount", "at", "_streamleap_op", "_streamleap_order", "_streamleap_commit_ts", "_streamleap_synced_at")
select "id", "page", "amount", "at", "_streamleap_op", "_streamleap_order", "_streamleap_commit_ts", "_streamleap_synced_at"
from "visit__streamleap_cycle" where _streamleap_op not in ('delete', 'truncate');
delete from "dev"."public"."visit__streamleap_tombstones" using "visit__streamleap_cycle"
where "visit__streamleap_tombstones"."id" = "visit__streamleap_cycle"."id";
insert into "dev"."public"."visit__streamleap_tombstones" ("id", _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at)
select "id", _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at
from "visit__streamleap_cycle" where _streamleap_op = 'delete';

delete from "dev"."public"."visit" where _streamleap_order < (select max(_streamleap_order) from "visit__streamleap_cycle" where _streamleap_op = 'truncate')
  and not (_streamleap_op = 'load' and _streamleap_commit_ts > (select max(_streamleap_commit_ts) from "visit__streamleap_cycle" where _streamleap_op = 'truncate'));
delete from "dev"."public"."visit__streamleap_tombstones" where _streamleap_order < (select max(_streamleap_order) from "visit__streamleap_cycle" where _streamleap_op = 'truncate');
delete from "dev"."public"."streamleap_truncates" where relation_name = 'dev.public.visit' and exists (select 1 from "visit__streamleap_cycle" where _streamleap_op = 'truncate');
insert into "dev"."public"."streamleap_truncates" (relation_name, truncated_order, truncated_at, synced_at)
select 'dev.public.visit', _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at from "visit__streamleap_cycle"
where _streamleap_op = 'truncate' and _streamleap_order = (select max(_streamleap_order) from "visit__streamleap_cycle" where _streamleap_op = 'truncate');
insert into "flat_cdc_set_aside__streamleap_kept"
select * from (
with judged as (
  select refresh_time, shard_id, sequence_number, partition_key, payload, raw_data,
    _sl_schema as schema_name, _sl_table as table_name, _sl_op as operation, _sl_problem as reason,
    _sl_misfits, _sl_t1, _sl_t2, _sl_t3, _sl_t4,
    max(refresh_time) over () as _streamleap_synced_at
  from "visit__streamleap_checked"
  where refresh_time > coalesce((select max(watermark) from "dev"."public"."streamleap_state" where relation_name = 'dev.public.flat_cdc_set_aside'), cast('1900-01-01 00:00:00' as timestamp))
)
,
_sl_adjusted as (
  select * from judged where reason is null and _sl_misfits <> ''
),
_sl_digits as (
  select 0 as d union all select 1 as d union all select 2 as d union all select 3 as d union all select 4 as d union all select 5 as d union all select 6 as d union all select 7 as d union all select 8 as d union all select 9 as d
),
_sl_numbers as (
  select n0.d * 1 as n
  from _sl_digits n0
),
_sl_adjusted_columns as (
  select _sl_adjusted.*, _sl_numbers.n as _sl_column
  from _sl_adjusted cross join _sl_numbers
  where _sl_numbers.n between 1 and 4
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
    when 2 then 'column page: value does not fit VARCHAR(800); adjusted: ' || 'cut to 800 bytes'
    when 3 then 'column amount: value does not fit DECIMAL(10,2); adjusted: ' || case when (case
    when not (case when (_sl_t3 ~ '^([+-]?0*[0-9]{0,8}([.][0-9]*)?)$')
          then (_sl_t3 ~ '^([+-]?[.]?[0-9].*)$')
        when (_sl_t3 ~ '^([+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)[eE][+-]?[0-9]{1,3})$')
          then case when (case when (_sl_t3 ~ '^(.*[0-9nN].*)$') then try_cast(_sl_t3 as DOUBLE PRECISION) is not null else false end) then abs(cast(_sl_t3 as double precision)) < 1e8 - 1 else false end
        else false end) then cast(null as DECIMAL(10,2))
    when (_sl_t3 ~ '^(.*[eE].*)$') then cast(cast(_sl_t3 as double precision) as DECIMAL(10,2))
    when substr(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 2), 3, 1) < '5' then cast(case when _sl_t3 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 1), '0'), ''), '0') || '.' || rpad(substr(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 2), 1, 2), 2, '0') as DECIMAL(10,2))
    when abs(cast(case when _sl_t3 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 1), '0'), ''), '0') || '.' || rpad(substr(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 2), 1, 2), 2, '0') as DECIMAL(10,2))) >= cast('99999999.99' as DECIMAL(10,2)) then cast(null as DECIMAL(10,2))
    when _sl_t3 like '-%' then cast(cast(case when _sl_t3 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 1), '0'), ''), '0') || '.' || rpad(substr(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 2), 1, 2), 2, '0') as DECIMAL(10,2)) - cast('0.01' as DECIMAL(10,2)) as DECIMAL(10,2))
    else cast(cast(case when _sl_t3 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 1), '0'), ''), '0') || '.' || rpad(substr(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 2), 1, 2), 2, '0') as DECIMAL(10,2)) + cast('0.01' as DECIMAL(10,2)) as DECIMAL(10,2))
  end) is null then 'set to NULL'
         else 'rounded to 2 decimals' end
    when 4 then 'column at: value does not fit TIMESTAMP; adjusted: ' || 'set to NULL'
  end as varchar(1024)),
  cast(case _sl_column
    when 2 then 'page'
    when 3 then 'amount'
    when 4 then 'at'
  end as varchar(256)),
  true,
  coalesce(raw_data, json_serialize_to_varbyte(payload)),
  _streamleap_synced_at
from _sl_adjusted_columns
) judged;
drop table "visit__streamleap_checked";
insert into "dev"."public"."flat_cdc_set_aside" (refresh_time, shard_id, sequence_number, partition_key, schema_name, table_name, operation, reason, column_name, adjusted, raw_data, _streamleap_synced_at)
select refresh_time, shard_id, sequence_number, partition_key, schema_name, table_name, operation, reason, column_name, adjusted, raw_data, _streamleap_synced_at from "flat_cdc_set_aside__streamleap_kept";
update "dev"."public"."streamleap_state"
set applied_rows = (select count(*) from "flat_cdc_set_aside__streamleap_kept" where adjusted = false)
where relation_name = 'dev.public.flat_cdc_set_aside';
drop table "flat_cdc_set_aside__streamleap_kept";
drop table "visit__streamleap_cycle";
update "dev"."public"."streamleap_state"
set watermark = (select max(refresh_time) from "streamleap_cycle_batch"), updated_at = getdate()
where relation_name in (select relation_name from "streamleap_cycle_models" where staging_name = 'dev.public.stg_flat_cdc')
  and (watermark is null or watermark < (select max(refresh_time) from "streamleap_cycle_batch"));
drop table "streamleap_cycle_batch";
commit
