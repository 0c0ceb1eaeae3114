with new_rows as (
  select refresh_time, sequence_number, partition_key, payload, raw_data
  from "dev"."analytics"."stg_flat_cdc"
  where refresh_time > cast('1900-01-01 00:00:00' as timestamp)
),
batch_end as (
  
  select max(refresh_time) as _sl_batch_end from new_rows
),
parsed as (
select _sl_read.*,
  cast(null as varchar) as _sl_b1,
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
    refresh_time,
    sequence_number,
    partition_key,
    payload,
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
        else json_serialize(payload."at") end) as _sl_t4,
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
  from (select new_rows.* from new_rows) records
) _sl_read
),
batch as (
  select parsed.*, batch_end._sl_batch_end
  from parsed cross join batch_end
  where _sl_table = 'visit'
    and _sl_schema = 'public'
),
truncates as (
  select
    case when _sl_op = 'load' then '0' else '1' end
      || coalesce(_sl_trid, '0000000000000000000000000000000000000000')
      || lpad(cast(length(sequence_number) as varchar), 3, '0') || sequence_number as _streamleap_order,
    case when _sl_truncate_problem is null then cast(substr(_sl_truncate_digits, 1, 4) || '-' || substr(_sl_truncate_digits, 5, 2) || '-' || substr(_sl_truncate_digits, 7, 2) || ' ' || substr(_sl_truncate_digits, 9, 2) || ':' || substr(_sl_truncate_digits, 11, 2) || ':' || substr(_sl_truncate_digits, 13, 2) || '.' || substr(_sl_truncate_digits, 15, 6) as timestamp) end as _streamleap_commit_ts,
    _sl_batch_end as _streamleap_synced_at
  from (select r.*, case when r._sl_op = 'drop-table'
       then 'drop-table: the source table was dropped; the mirror keeps its rows'
     when r._sl_op = 'truncate-table' and r._sl_commit_text is null
       then 'truncate (op t) without source.ts_ms cannot be placed in commit order; the mirror keeps its rows'
     when r._sl_op = 'truncate-table' and r._sl_trid is null
       then 'truncate (op t) without a source position (lsn, or file and pos) cannot be placed in commit order; the mirror keeps its rows'
     when r._sl_op = 'truncate-table' then case
       when 'load' is null or 'load' not in ('insert', 'update', 'delete')
      then 'unknown op ' || coalesce('load', '(missing)') || ' (I, U or D)'
    when r._sl_trid is null or not (r._sl_trid ~ '^([0-9]{40})$')
      then 'the order field seq is not a whole number of at most 39 digits'
    when r._sl_commit_text is not null and not (case when (r._sl_commit_text ~ '^(([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[ T](([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?)(Z|[+-](0[0-9]|1[0-4])(:?[0-5][0-9])?)?)$')
                                               then (try_cast(substr(r._sl_commit_text, 1, 10) as date) is not null) else false end)
      then 'ts is neither milliseconds since 1970 nor an ISO-8601 time'
     end
end as _sl_truncate_problem, rpad(substr(r._sl_commit_text, 1, 4) || substr(r._sl_commit_text, 6, 2) || substr(r._sl_commit_text, 9, 2) || substr(r._sl_commit_text, 12, 2) || substr(r._sl_commit_text, 15, 2) || substr(r._sl_commit_text, 18, 2)
       || case when substr(r._sl_commit_text, 20, 1) = '.' then split_part(translate(substr(r._sl_commit_text, 21, 13), 'Z+-', '...'), '.', 1) else '' end, 20, '0') as _sl_truncate_digits
        from (select * from batch where _sl_record_type = 'control') r where r._sl_op = 'truncate-table') t
  where _sl_truncate_problem is null
),
typed as (select batch.*,
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
  from batch
  where _sl_record_type = 'data'
),
checked as (
  select typed.*,
    case
    when _sl_op is null or _sl_op not in ('insert', 'update', 'delete')
      then 'unknown op ' || coalesce(_sl_op, '(missing)') || ' (I, U or D)'
    when _sl_trid is null or not (_sl_trid ~ '^([0-9]{40})$')
      then 'the order field seq is not a whole number of at most 39 digits'
    when _sl_commit_text is not null and not (case when (_sl_commit_text ~ '^(([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[ T](([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?)(Z|[+-](0[0-9]|1[0-4])(:?[0-5][0-9])?)?)$')
                                               then (try_cast(substr(_sl_commit_text, 1, 10) as date) is not null) else false end)
      then 'ts is neither milliseconds since 1970 nor an ISO-8601 time'
    when _sl_t1 is null
      then 'key column id is missing'
    when _sl_t1 is not null and _sl_v1 is null
      then 'column id: value does not fit BIGINT'
    when _sl_b1 is not null and _sl_bv1 is null
      then 'before-image key column id: value does not fit BIGINT'
  end as _sl_problem,
    rpad(substr(coalesce(_sl_commit_text, _sl_ts_text), 1, 4) || substr(coalesce(_sl_commit_text, _sl_ts_text), 6, 2) || substr(coalesce(_sl_commit_text, _sl_ts_text), 9, 2) || substr(coalesce(_sl_commit_text, _sl_ts_text), 12, 2) || substr(coalesce(_sl_commit_text, _sl_ts_text), 15, 2) || substr(coalesce(_sl_commit_text, _sl_ts_text), 18, 2)
       || case when substr(coalesce(_sl_commit_text, _sl_ts_text), 20, 1) = '.' then split_part(translate(substr(coalesce(_sl_commit_text, _sl_ts_text), 21, 13), 'Z+-', '...'), '.', 1) else '' end, 20, '0') as _sl_time_digits
  from typed
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
union all

select
  cast(null as BIGINT),
  cast(null as VARCHAR(800)),
  cast(null as DECIMAL(10,2)),
  cast(null as TIMESTAMP),
  cast('watermark' as varchar(16)), cast(null as varchar(256)), cast(null as timestamp), _sl_batch_end
from batch_end
where _sl_batch_end is not null
