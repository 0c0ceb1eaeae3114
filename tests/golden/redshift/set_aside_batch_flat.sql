with new_rows as (
  select refresh_time, shard_id, sequence_number, partition_key, payload, raw_data
  from "dev"."analytics"."stg_flat_cdc"
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
  'public' as _sl_schema,
  cast(null as varchar) as _sl_s1_b1
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
        else json_serialize(payload."ts") end) as _sl_f_time,
    (case when is_varchar(payload."id") then payload."id"::varchar
        when payload."id" is null or json_typeof(payload."id") = 'null' then null
        when json_size(payload."id") > 65535 then null
        else json_serialize(payload."id") end) as _sl_s1_t1,
    (case when is_varchar(payload."page") then payload."page"::varchar
        when payload."page" is null or json_typeof(payload."page") = 'null' then null
        when json_size(payload."page") > 65535 then null
        else json_serialize(payload."page") end) as _sl_s1_t2,
    (case when is_varchar(payload."amount") then payload."amount"::varchar
        when payload."amount" is null or json_typeof(payload."amount") = 'null' then null
        when json_size(payload."amount") > 65535 then null
        else json_serialize(payload."amount") end) as _sl_s1_t3,
    (case when is_varchar(payload."at") then payload."at"::varchar
        when payload."at" is null or json_typeof(payload."at") = 'null' then null
        when json_size(payload."at") > 65535 then null
        else json_serialize(payload."at") end) as _sl_s1_t4
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
      when record_type = 'data' and table_name = 'visit' and schema_name = 'public'
        then case
    when operation is null or operation not in ('insert', 'update', 'delete')
      then 'unknown op ' || coalesce(operation, '(missing)') || ' (I, U or D)'
    when _sl_trid_text is null or not (_sl_trid_text ~ '^([0-9]{40})$')
      then 'the order field seq is not a whole number of at most 39 digits'
    when _sl_commit_text is not null and not (case when (_sl_commit_text ~ '^(([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[ T](([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?)(Z|[+-](0[0-9]|1[0-4])(:?[0-5][0-9])?)?)$')
                                               then (try_cast(substr(_sl_commit_text, 1, 10) as date) is not null) else false end)
      then 'ts is neither milliseconds since 1970 nor an ISO-8601 time'
    when _sl_s1_t1 is null
      then 'key column id is missing'
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
      when record_type = 'control' and table_name = 'visit' and schema_name = 'public'
        then case when operation = 'drop-table'
       then 'drop-table: the source table was dropped; the mirror keeps its rows'
     when operation = 'truncate-table' and _sl_commit_text is null
       then 'truncate (op t) without source.ts_ms cannot be placed in commit order; the mirror keeps its rows'
     when operation = 'truncate-table' and _sl_trid_text is null
       then 'truncate (op t) without a source position (lsn, or file and pos) cannot be placed in commit order; the mirror keeps its rows'
     when operation = 'truncate-table' then case
       when 'load' is null or 'load' not in ('insert', 'update', 'delete')
      then 'unknown op ' || coalesce('load', '(missing)') || ' (I, U or D)'
    when _sl_trid_text is null or not (_sl_trid_text ~ '^([0-9]{40})$')
      then 'the order field seq is not a whole number of at most 39 digits'
    when _sl_commit_text is not null and not (case when (_sl_commit_text ~ '^(([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[ T](([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?)(Z|[+-](0[0-9]|1[0-4])(:?[0-5][0-9])?)?)$')
                                               then (try_cast(substr(_sl_commit_text, 1, 10) as date) is not null) else false end)
      then 'ts is neither milliseconds since 1970 nor an ISO-8601 time'
     end
end
    end as reason,
    case
      when record_type = 'data' and table_name = 'visit' and schema_name = 'public'
        then case when operation = 'delete' then '' else case when _sl_s1_t2 is not null and not (octet_length(_sl_s1_t2) <= 800) then '|2|' else '' end || case when _sl_s1_t3 is not null and not ((case when (_sl_s1_t3 ~ '^([+-]?0*[0-9]{0,8}([.][0-9]{0,2}0*)?)$')
            then _sl_s1_t3 not in ('', '+', '-', '.', '+.', '-.')
          else false end)) then '|3|' else '' end || case when _sl_s1_t4 is not null and not ((case when (_sl_s1_t4 ~ '^(([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[ T](([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?|24:00:00))$') then (try_cast(replace(_sl_s1_t4, 'T', ' ') as TIMESTAMP) is not null) else false end)) then '|4|' else '' end end
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
    when not (case when (_sl_s1_t3 ~ '^([+-]?0*[0-9]{0,8}([.][0-9]*)?)$')
          then (_sl_s1_t3 ~ '^([+-]?[.]?[0-9].*)$')
        when (_sl_s1_t3 ~ '^([+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)[eE][+-]?[0-9]{1,3})$')
          then case when (case when (_sl_s1_t3 ~ '^(.*[0-9nN].*)$') then try_cast(_sl_s1_t3 as DOUBLE PRECISION) is not null else false end) then abs(cast(_sl_s1_t3 as double precision)) < 1e8 - 1 else false end
        else false end) then cast(null as DECIMAL(10,2))
    when (_sl_s1_t3 ~ '^(.*[eE].*)$') then cast(cast(_sl_s1_t3 as double precision) as DECIMAL(10,2))
    when substr(split_part(regexp_replace(_sl_s1_t3, '^[+-]', ''), '.', 2), 3, 1) < '5' then cast(case when _sl_s1_t3 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_s1_t3, '^[+-]', ''), '.', 1), '0'), ''), '0') || '.' || rpad(substr(split_part(regexp_replace(_sl_s1_t3, '^[+-]', ''), '.', 2), 1, 2), 2, '0') as DECIMAL(10,2))
    when abs(cast(case when _sl_s1_t3 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_s1_t3, '^[+-]', ''), '.', 1), '0'), ''), '0') || '.' || rpad(substr(split_part(regexp_replace(_sl_s1_t3, '^[+-]', ''), '.', 2), 1, 2), 2, '0') as DECIMAL(10,2))) >= cast('99999999.99' as DECIMAL(10,2)) then cast(null as DECIMAL(10,2))
    when _sl_s1_t3 like '-%' then cast(cast(case when _sl_s1_t3 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_s1_t3, '^[+-]', ''), '.', 1), '0'), ''), '0') || '.' || rpad(substr(split_part(regexp_replace(_sl_s1_t3, '^[+-]', ''), '.', 2), 1, 2), 2, '0') as DECIMAL(10,2)) - cast('0.01' as DECIMAL(10,2)) as DECIMAL(10,2))
    else cast(cast(case when _sl_s1_t3 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_s1_t3, '^[+-]', ''), '.', 1), '0'), ''), '0') || '.' || rpad(substr(split_part(regexp_replace(_sl_s1_t3, '^[+-]', ''), '.', 2), 1, 2), 2, '0') as DECIMAL(10,2)) + cast('0.01' as DECIMAL(10,2)) as DECIMAL(10,2))
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
union all
select
  cast(null as timestamp), cast(null as varchar(20)), cast(null as varchar(128)), cast(null as varchar(256)),
  cast(null as varchar(256)), cast(null as varchar(256)), cast(null as varchar(64)), cast(null as varchar(1024)),
  cast(null as varchar(256)), cast(null as boolean),
  cast(null as varbyte(16777216)), max(_streamleap_synced_at)
from judged
having count(*) > 0
