with new_rows as (
  select refresh_time, shard_id, sequence_number, partition_key, payload, raw_data
  from "dev"."analytics"."stg_shop_cdc"
  where refresh_time > cast('1900-01-01 00:00:00' as timestamp)
),
records as (
select
    refresh_time, shard_id, sequence_number, partition_key, payload, raw_data,
    (case when is_varchar(payload."metadata"."schema-name") then payload."metadata"."schema-name"::varchar
        when payload."metadata"."schema-name" is null or json_typeof(payload."metadata"."schema-name") = 'null' then null
        when json_size(payload."metadata"."schema-name") > 65535 then null
        when json_typeof(payload."metadata"."schema-name") = 'number' and not is_bigint(payload."metadata"."schema-name") and octet_length(raw_data) <= 65535
          then coalesce(nullif(regexp_substr(from_varbyte(raw_data, 'utf8'), '(?s)"\\Qmetadata\\E"[[:space:]]*:[[:space:]]*[{].*?"\\Qschema-name\\E"[[:space:]]*:[[:space:]]*(-?[0-9][0-9.eE+-]*)', 1, 1, 'pe'), ''), json_serialize(payload."metadata"."schema-name"))
        else json_serialize(payload."metadata"."schema-name") end) as schema_name,
    (case when is_varchar(payload."metadata"."table-name") then payload."metadata"."table-name"::varchar
        when payload."metadata"."table-name" is null or json_typeof(payload."metadata"."table-name") = 'null' then null
        when json_size(payload."metadata"."table-name") > 65535 then null
        when json_typeof(payload."metadata"."table-name") = 'number' and not is_bigint(payload."metadata"."table-name") and octet_length(raw_data) <= 65535
          then coalesce(nullif(regexp_substr(from_varbyte(raw_data, 'utf8'), '(?s)"\\Qmetadata\\E"[[:space:]]*:[[:space:]]*[{].*?"\\Qtable-name\\E"[[:space:]]*:[[:space:]]*(-?[0-9][0-9.eE+-]*)', 1, 1, 'pe'), ''), json_serialize(payload."metadata"."table-name"))
        else json_serialize(payload."metadata"."table-name") end) as table_name,
    (case when is_varchar(payload."metadata"."operation") then payload."metadata"."operation"::varchar
        when payload."metadata"."operation" is null or json_typeof(payload."metadata"."operation") = 'null' then null
        when json_size(payload."metadata"."operation") > 65535 then null
        when json_typeof(payload."metadata"."operation") = 'number' and not is_bigint(payload."metadata"."operation") and octet_length(raw_data) <= 65535
          then coalesce(nullif(regexp_substr(from_varbyte(raw_data, 'utf8'), '(?s)"\\Qmetadata\\E"[[:space:]]*:[[:space:]]*[{].*?"\\Qoperation\\E"[[:space:]]*:[[:space:]]*(-?[0-9][0-9.eE+-]*)', 1, 1, 'pe'), ''), json_serialize(payload."metadata"."operation"))
        else json_serialize(payload."metadata"."operation") end) as operation,
    (case when is_varchar(payload."metadata"."record-type") then payload."metadata"."record-type"::varchar
        when payload."metadata"."record-type" is null or json_typeof(payload."metadata"."record-type") = 'null' then null
        when json_size(payload."metadata"."record-type") > 65535 then null
        when json_typeof(payload."metadata"."record-type") = 'number' and not is_bigint(payload."metadata"."record-type") and octet_length(raw_data) <= 65535
          then coalesce(nullif(regexp_substr(from_varbyte(raw_data, 'utf8'), '(?s)"\\Qmetadata\\E"[[:space:]]*:[[:space:]]*[{].*?"\\Qrecord-type\\E"[[:space:]]*:[[:space:]]*(-?[0-9][0-9.eE+-]*)', 1, 1, 'pe'), ''), json_serialize(payload."metadata"."record-type"))
        else json_serialize(payload."metadata"."record-type") end) as record_type,
    (case when is_varchar(payload."metadata"."commit-timestamp") then payload."metadata"."commit-timestamp"::varchar
        when payload."metadata"."commit-timestamp" is null or json_typeof(payload."metadata"."commit-timestamp") = 'null' then null
        when json_size(payload."metadata"."commit-timestamp") > 65535 then null
        when json_typeof(payload."metadata"."commit-timestamp") = 'number' and not is_bigint(payload."metadata"."commit-timestamp") and octet_length(raw_data) <= 65535
          then coalesce(nullif(regexp_substr(from_varbyte(raw_data, 'utf8'), '(?s)"\\Qmetadata\\E"[[:space:]]*:[[:space:]]*[{].*?"\\Qcommit-timestamp\\E"[[:space:]]*:[[:space:]]*(-?[0-9][0-9.eE+-]*)', 1, 1, 'pe'), ''), json_serialize(payload."metadata"."commit-timestamp"))
        else json_serialize(payload."metadata"."commit-timestamp") end) as _sl_commit_text,
    (case when is_varchar(payload."metadata"."timestamp") then payload."metadata"."timestamp"::varchar
        when payload."metadata"."timestamp" is null or json_typeof(payload."metadata"."timestamp") = 'null' then null
        when json_size(payload."metadata"."timestamp") > 65535 then null
        when json_typeof(payload."metadata"."timestamp") = 'number' and not is_bigint(payload."metadata"."timestamp") and octet_length(raw_data) <= 65535
          then coalesce(nullif(regexp_substr(from_varbyte(raw_data, 'utf8'), '(?s)"\\Qmetadata\\E"[[:space:]]*:[[:space:]]*[{].*?"\\Qtimestamp\\E"[[:space:]]*:[[:space:]]*(-?[0-9][0-9.eE+-]*)', 1, 1, 'pe'), ''), json_serialize(payload."metadata"."timestamp"))
        else json_serialize(payload."metadata"."timestamp") end) as _sl_ts_text,
    (case when is_varchar(payload."metadata"."transaction-record-id") then payload."metadata"."transaction-record-id"::varchar
        when payload."metadata"."transaction-record-id" is null or json_typeof(payload."metadata"."transaction-record-id") = 'null' then null
        when json_size(payload."metadata"."transaction-record-id") > 65535 then null
        when json_typeof(payload."metadata"."transaction-record-id") = 'number' and not is_bigint(payload."metadata"."transaction-record-id") and octet_length(raw_data) <= 65535
          then coalesce(nullif(regexp_substr(from_varbyte(raw_data, 'utf8'), '(?s)"\\Qmetadata\\E"[[:space:]]*:[[:space:]]*[{].*?"\\Qtransaction-record-id\\E"[[:space:]]*:[[:space:]]*(-?[0-9][0-9.eE+-]*)', 1, 1, 'pe'), ''), json_serialize(payload."metadata"."transaction-record-id"))
        else json_serialize(payload."metadata"."transaction-record-id") end) as _sl_trid_text,
    (case when is_varchar(payload."data"."id") then payload."data"."id"::varchar
        when payload."data"."id" is null or json_typeof(payload."data"."id") = 'null' then null
        when json_size(payload."data"."id") > 65535 then null
        when json_typeof(payload."data"."id") = 'number' and not is_bigint(payload."data"."id") and octet_length(raw_data) <= 65535
          then coalesce(nullif(regexp_substr(from_varbyte(raw_data, 'utf8'), '(?s)"\\Qdata\\E"[[:space:]]*:[[:space:]]*[{].*?"\\Qid\\E"[[:space:]]*:[[:space:]]*(-?[0-9][0-9.eE+-]*)', 1, 1, 'pe'), ''), json_serialize(payload."data"."id"))
        else json_serialize(payload."data"."id") end) as _sl_s1_7,
    (case when is_varchar(payload."data"."day") then payload."data"."day"::varchar
        when payload."data"."day" is null or json_typeof(payload."data"."day") = 'null' then null
        when json_size(payload."data"."day") > 65535 then null
        when json_typeof(payload."data"."day") = 'number' and not is_bigint(payload."data"."day") and octet_length(raw_data) <= 65535
          then coalesce(nullif(regexp_substr(from_varbyte(raw_data, 'utf8'), '(?s)"\\Qdata\\E"[[:space:]]*:[[:space:]]*[{].*?"\\Qday\\E"[[:space:]]*:[[:space:]]*(-?[0-9][0-9.eE+-]*)', 1, 1, 'pe'), ''), json_serialize(payload."data"."day"))
        else json_serialize(payload."data"."day") end) as _sl_s2_8,
    (case when is_varchar(payload."data"."note") then payload."data"."note"::varchar
        when payload."data"."note" is null or json_typeof(payload."data"."note") = 'null' then null
        when json_size(payload."data"."note") > 65535 then null
        when json_typeof(payload."data"."note") = 'number' and not is_bigint(payload."data"."note") and octet_length(raw_data) <= 65535
          then coalesce(nullif(regexp_substr(from_varbyte(raw_data, 'utf8'), '(?s)"\\Qdata\\E"[[:space:]]*:[[:space:]]*[{].*?"\\Qnote\\E"[[:space:]]*:[[:space:]]*(-?[0-9][0-9.eE+-]*)', 1, 1, 'pe'), ''), json_serialize(payload."data"."note"))
        else json_serialize(payload."data"."note") end) as _sl_s3_9,
    (case when is_varchar(payload."before-image"."id") then payload."before-image"."id"::varchar
        when payload."before-image"."id" is null or json_typeof(payload."before-image"."id") = 'null' then null
        when json_size(payload."before-image"."id") > 65535 then null
        when json_typeof(payload."before-image"."id") = 'number' and not is_bigint(payload."before-image"."id") and octet_length(raw_data) <= 65535
          then coalesce(nullif(regexp_substr(from_varbyte(raw_data, 'utf8'), '(?s)"\\Qbefore-image\\E"[[:space:]]*:[[:space:]]*[{].*?"\\Qid\\E"[[:space:]]*:[[:space:]]*(-?[0-9][0-9.eE+-]*)', 1, 1, 'pe'), ''), json_serialize(payload."before-image"."id"))
        else json_serialize(payload."before-image"."id") end) as _sl_s4_10,
    (case when is_varchar(payload."before-image"."day") then payload."before-image"."day"::varchar
        when payload."before-image"."day" is null or json_typeof(payload."before-image"."day") = 'null' then null
        when json_size(payload."before-image"."day") > 65535 then null
        when json_typeof(payload."before-image"."day") = 'number' and not is_bigint(payload."before-image"."day") and octet_length(raw_data) <= 65535
          then coalesce(nullif(regexp_substr(from_varbyte(raw_data, 'utf8'), '(?s)"\\Qbefore-image\\E"[[:space:]]*:[[:space:]]*[{].*?"\\Qday\\E"[[:space:]]*:[[:space:]]*(-?[0-9][0-9.eE+-]*)', 1, 1, 'pe'), ''), json_serialize(payload."before-image"."day"))
        else json_serialize(payload."before-image"."day") end) as _sl_s5_11
  from (select new_rows.* from new_rows) parsed
),
judged as (
  select records.*,
    case
      when payload is null then case when octet_length(raw_data) > 65535
  then 'not parsed as JSON: not valid JSON, or a string in it is longer than 65,535 bytes, which Redshift parses only with enable_large_strings_opt_in on'
  else 'not valid JSON' end
      when record_type is null then 'no DMS metadata (metadata.record-type is missing)'
      when record_type not in ('data', 'control') then case when record_type = 'not-sent' then 'not sent: the row''s change was over the stream''s record size limit, so capture sent this stand-in (its key, its small values, the size and the columns left out); the mirror row stays as it was (missing, after an insert) until the row''s next change'
     else 'unknown metadata.record-type ' || record_type end
      when record_type = 'data' and table_name is null then 'metadata.table-name is missing'
      when record_type = 'data' and ((table_name in ('events', 'events_2024', 'events_2025') and schema_name = 'public') or (table_name = 'events_2023' and schema_name = 'archive'))
        then case
    
    when operation is null or operation not in ('load', 'insert', 'update', 'delete')
      then 'unknown operation ' || coalesce(operation, '(missing)')
    when _sl_commit_text is null and _sl_ts_text is null
      then 'metadata.timestamp is missing'
    when _sl_commit_text is not null and not (case when (_sl_commit_text ~ '^(([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[ T](([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?)(Z|[+-](0[0-9]|1[0-4])(:?[0-5][0-9])?)?)$')
                                          then (try_cast(substr(_sl_commit_text, 1, 10) as date) is not null) else false end)
      then 'metadata.commit-timestamp is not an ISO-8601 timestamp'
    when _sl_ts_text is not null and not (case when (_sl_ts_text ~ '^(([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[ T](([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?)(Z|[+-](0[0-9]|1[0-4])(:?[0-5][0-9])?)?)$')
                                          then (try_cast(substr(_sl_ts_text, 1, 10) as date) is not null) else false end)
      then 'metadata.timestamp is not an ISO-8601 timestamp'
    when _sl_trid_text is not null and not (_sl_trid_text ~ '^([0-9]{1,20})$')
      then 'metadata.transaction-record-id is not a whole number of at most 20 digits'
    when _sl_s1_7 is null
      then 'key column id is missing'
    when _sl_s2_8 is null
      then 'key column day is missing'
    when _sl_s1_7 is not null and not ((case when (_sl_s1_7 ~ '^([+-]?[0-9]+)$')
            then case when length(_sl_s1_7) <= 20 then cast(_sl_s1_7 as decimal(38,0)) between -9223372036854775808 and 9223372036854775807 else false end
          when (_sl_s1_7 ~ '^([+-]?[0-9]{1,20}[.]0*)$')
            then case when length(split_part(_sl_s1_7, '.', 1)) <= 20 then cast(split_part(_sl_s1_7, '.', 1) as decimal(38,0)) between -9223372036854775808 and 9223372036854775807 else false end
          when (_sl_s1_7 ~ '^([+-]?[0-9]{1,20}([.][0-9]{0,20})?[eE][+]?[0-9]{1,2})$')
            then case when (length(rtrim(split_part(regexp_replace(_sl_s1_7, '^[+-]|[eE].*$', ''), '.', 2), '0')) <= cast(regexp_replace(_sl_s1_7, '^.*[eE][+]?', '') as integer)) and length((case when _sl_s1_7 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_s1_7, '^[+-]|[eE].*$', ''), '.', 1) || rpad(split_part(regexp_replace(_sl_s1_7, '^[+-]|[eE].*$', ''), '.', 2), cast(regexp_replace(_sl_s1_7, '^.*[eE][+]?', '') as integer), '0'), '0'), ''), '0'))) <= 20
                      then cast((case when _sl_s1_7 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_s1_7, '^[+-]|[eE].*$', ''), '.', 1) || rpad(split_part(regexp_replace(_sl_s1_7, '^[+-]|[eE].*$', ''), '.', 2), cast(regexp_replace(_sl_s1_7, '^.*[eE][+]?', '') as integer), '0'), '0'), ''), '0')) as decimal(38,0)) between -9223372036854775808 and 9223372036854775807 else false end
          else false end))
      then 'column id: value does not fit BIGINT'
    when _sl_s2_8 is not null and not ((case when (_sl_s2_8 ~ '^(([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]))$') then (try_cast(_sl_s2_8 as DATE) is not null) else false end))
      then 'column day: value does not fit DATE'
    when _sl_s4_10 is not null and not ((case when (_sl_s4_10 ~ '^([+-]?[0-9]+)$')
            then case when length(_sl_s4_10) <= 20 then cast(_sl_s4_10 as decimal(38,0)) between -9223372036854775808 and 9223372036854775807 else false end
          when (_sl_s4_10 ~ '^([+-]?[0-9]{1,20}[.]0*)$')
            then case when length(split_part(_sl_s4_10, '.', 1)) <= 20 then cast(split_part(_sl_s4_10, '.', 1) as decimal(38,0)) between -9223372036854775808 and 9223372036854775807 else false end
          when (_sl_s4_10 ~ '^([+-]?[0-9]{1,20}([.][0-9]{0,20})?[eE][+]?[0-9]{1,2})$')
            then case when (length(rtrim(split_part(regexp_replace(_sl_s4_10, '^[+-]|[eE].*$', ''), '.', 2), '0')) <= cast(regexp_replace(_sl_s4_10, '^.*[eE][+]?', '') as integer)) and length((case when _sl_s4_10 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_s4_10, '^[+-]|[eE].*$', ''), '.', 1) || rpad(split_part(regexp_replace(_sl_s4_10, '^[+-]|[eE].*$', ''), '.', 2), cast(regexp_replace(_sl_s4_10, '^.*[eE][+]?', '') as integer), '0'), '0'), ''), '0'))) <= 20
                      then cast((case when _sl_s4_10 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_s4_10, '^[+-]|[eE].*$', ''), '.', 1) || rpad(split_part(regexp_replace(_sl_s4_10, '^[+-]|[eE].*$', ''), '.', 2), cast(regexp_replace(_sl_s4_10, '^.*[eE][+]?', '') as integer), '0'), '0'), ''), '0')) as decimal(38,0)) between -9223372036854775808 and 9223372036854775807 else false end
          else false end))
      then 'before-image key column id: value does not fit BIGINT'
    when _sl_s5_11 is not null and not ((case when (_sl_s5_11 ~ '^(([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]))$') then (try_cast(_sl_s5_11 as DATE) is not null) else false end))
      then 'before-image key column day: value does not fit DATE'
  end
      when record_type = 'control' and ((table_name in ('events', 'events_2024', 'events_2025') and schema_name = 'public') or (table_name = 'events_2023' and schema_name = 'archive'))
        then case when operation = 'drop-table'
       then 'drop-table: the source table was dropped; the mirror keeps its rows'
     when operation = 'truncate-table' and _sl_commit_text is null
       then 'truncate-table without metadata.commit-timestamp cannot be placed in commit order; the mirror keeps its rows'
     when operation = 'truncate-table' then case
       
    when 'load' is null or 'load' not in ('load', 'insert', 'update', 'delete')
      then 'unknown operation ' || coalesce('load', '(missing)')
    when _sl_commit_text is null and _sl_ts_text is null
      then 'metadata.timestamp is missing'
    when _sl_commit_text is not null and not (case when (_sl_commit_text ~ '^(([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[ T](([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?)(Z|[+-](0[0-9]|1[0-4])(:?[0-5][0-9])?)?)$')
                                          then (try_cast(substr(_sl_commit_text, 1, 10) as date) is not null) else false end)
      then 'metadata.commit-timestamp is not an ISO-8601 timestamp'
    when _sl_ts_text is not null and not (case when (_sl_ts_text ~ '^(([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[ T](([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?)(Z|[+-](0[0-9]|1[0-4])(:?[0-5][0-9])?)?)$')
                                          then (try_cast(substr(_sl_ts_text, 1, 10) as date) is not null) else false end)
      then 'metadata.timestamp is not an ISO-8601 timestamp'
    when _sl_trid_text is not null and not (_sl_trid_text ~ '^([0-9]{1,20})$')
      then 'metadata.transaction-record-id is not a whole number of at most 20 digits'
     end
end
    end as reason,
    case
      when record_type = 'data' and ((table_name in ('events', 'events_2024', 'events_2025') and schema_name = 'public') or (table_name = 'events_2023' and schema_name = 'archive'))
        then case when operation = 'delete' then '' else case when _sl_s3_9 is not null and not (octet_length(_sl_s3_9) <= 80) then '|3|' else '' end end
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
  where _sl_numbers.n between 1 and 3
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
    when 3 then 'column note: value does not fit VARCHAR(80); adjusted: ' || 'cut to 80 bytes'
  end as varchar(1024)),
  cast(case _sl_column
    when 3 then 'note'
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
