with new_rows as (
  select refresh_time, sequence_number, payload, raw_data
  from "dev"."analytics"."stg_shop_cdc"
  where refresh_time > cast('1900-01-01 00:00:00' as timestamp)
),
batch_end as (
  
  select max(refresh_time) as _sl_batch_end from new_rows
),
parsed as (

  select
    refresh_time,
    sequence_number,
    payload,
    (case when is_varchar(payload."data"."id") then payload."data"."id"::varchar
        when payload."data"."id" is null or json_typeof(payload."data"."id") = 'null' then null
        when json_size(payload."data"."id") > 65535 then null
        when json_typeof(payload."data"."id") = 'number' and not is_bigint(payload."data"."id") and octet_length(raw_data) <= 65535
          then coalesce(nullif(regexp_substr(from_varbyte(raw_data, 'utf8'), '(?s)"\\Qdata\\E"[[:space:]]*:[[:space:]]*[{].*?"\\Qid\\E"[[:space:]]*:[[:space:]]*(-?[0-9][0-9.eE+-]*)', 1, 1, 'pe'), ''), json_serialize(payload."data"."id"))
        else json_serialize(payload."data"."id") end) as _sl_t1,
    (case when is_varchar(payload."data"."status") then payload."data"."status"::varchar
        when payload."data"."status" is null or json_typeof(payload."data"."status") = 'null' then null
        when json_size(payload."data"."status") > 65535 then null
        when json_typeof(payload."data"."status") = 'number' and not is_bigint(payload."data"."status") and octet_length(raw_data) <= 65535
          then coalesce(nullif(regexp_substr(from_varbyte(raw_data, 'utf8'), '(?s)"\\Qdata\\E"[[:space:]]*:[[:space:]]*[{].*?"\\Qstatus\\E"[[:space:]]*:[[:space:]]*(-?[0-9][0-9.eE+-]*)', 1, 1, 'pe'), ''), json_serialize(payload."data"."status"))
        else json_serialize(payload."data"."status") end) as _sl_t2,
    (case when is_varchar(payload."data"."total") then payload."data"."total"::varchar
        when payload."data"."total" is null or json_typeof(payload."data"."total") = 'null' then null
        when json_size(payload."data"."total") > 65535 then null
        when json_typeof(payload."data"."total") = 'number' and not is_bigint(payload."data"."total") and octet_length(raw_data) <= 65535
          then coalesce(nullif(regexp_substr(from_varbyte(raw_data, 'utf8'), '(?s)"\\Qdata\\E"[[:space:]]*:[[:space:]]*[{].*?"\\Qtotal\\E"[[:space:]]*:[[:space:]]*(-?[0-9][0-9.eE+-]*)', 1, 1, 'pe'), ''), json_serialize(payload."data"."total"))
        else json_serialize(payload."data"."total") end) as _sl_t3,
    (case when is_varchar(payload."data"."paid") then payload."data"."paid"::varchar
        when payload."data"."paid" is null or json_typeof(payload."data"."paid") = 'null' then null
        when json_size(payload."data"."paid") > 65535 then null
        when json_typeof(payload."data"."paid") = 'number' and not is_bigint(payload."data"."paid") and octet_length(raw_data) <= 65535
          then coalesce(nullif(regexp_substr(from_varbyte(raw_data, 'utf8'), '(?s)"\\Qdata\\E"[[:space:]]*:[[:space:]]*[{].*?"\\Qpaid\\E"[[:space:]]*:[[:space:]]*(-?[0-9][0-9.eE+-]*)', 1, 1, 'pe'), ''), json_serialize(payload."data"."paid"))
        else json_serialize(payload."data"."paid") end) as _sl_t4,
    (case when is_varchar(payload."data"."created_at") then payload."data"."created_at"::varchar
        when payload."data"."created_at" is null or json_typeof(payload."data"."created_at") = 'null' then null
        when json_size(payload."data"."created_at") > 65535 then null
        when json_typeof(payload."data"."created_at") = 'number' and not is_bigint(payload."data"."created_at") and octet_length(raw_data) <= 65535
          then coalesce(nullif(regexp_substr(from_varbyte(raw_data, 'utf8'), '(?s)"\\Qdata\\E"[[:space:]]*:[[:space:]]*[{].*?"\\Qcreated_at\\E"[[:space:]]*:[[:space:]]*(-?[0-9][0-9.eE+-]*)', 1, 1, 'pe'), ''), json_serialize(payload."data"."created_at"))
        else json_serialize(payload."data"."created_at") end) as _sl_t5,
    (case when is_varchar(payload."data"."attrs") then payload."data"."attrs"::varchar
        when payload."data"."attrs" is null or json_typeof(payload."data"."attrs") = 'null' then null
        when json_size(payload."data"."attrs") > 65535 then null
        when json_typeof(payload."data"."attrs") = 'number' and not is_bigint(payload."data"."attrs") and octet_length(raw_data) <= 65535
          then coalesce(nullif(regexp_substr(from_varbyte(raw_data, 'utf8'), '(?s)"\\Qdata\\E"[[:space:]]*:[[:space:]]*[{].*?"\\Qattrs\\E"[[:space:]]*:[[:space:]]*(-?[0-9][0-9.eE+-]*)', 1, 1, 'pe'), ''), json_serialize(payload."data"."attrs"))
        else json_serialize(payload."data"."attrs") end) as _sl_t6,
    (case when is_varchar(payload."data"."receipt") then payload."data"."receipt"::varchar
        when payload."data"."receipt" is null or json_typeof(payload."data"."receipt") = 'null' then null
        when json_size(payload."data"."receipt") > 65535 then null
        when json_typeof(payload."data"."receipt") = 'number' and not is_bigint(payload."data"."receipt") and octet_length(raw_data) <= 65535
          then coalesce(nullif(regexp_substr(from_varbyte(raw_data, 'utf8'), '(?s)"\\Qdata\\E"[[:space:]]*:[[:space:]]*[{].*?"\\Qreceipt\\E"[[:space:]]*:[[:space:]]*(-?[0-9][0-9.eE+-]*)', 1, 1, 'pe'), ''), json_serialize(payload."data"."receipt"))
        else json_serialize(payload."data"."receipt") end) as _sl_t7,
    (case when is_varchar(payload."before-image"."id") then payload."before-image"."id"::varchar
        when payload."before-image"."id" is null or json_typeof(payload."before-image"."id") = 'null' then null
        when json_size(payload."before-image"."id") > 65535 then null
        when json_typeof(payload."before-image"."id") = 'number' and not is_bigint(payload."before-image"."id") and octet_length(raw_data) <= 65535
          then coalesce(nullif(regexp_substr(from_varbyte(raw_data, 'utf8'), '(?s)"\\Qbefore-image\\E"[[:space:]]*:[[:space:]]*[{].*?"\\Qid\\E"[[:space:]]*:[[:space:]]*(-?[0-9][0-9.eE+-]*)', 1, 1, 'pe'), ''), json_serialize(payload."before-image"."id"))
        else json_serialize(payload."before-image"."id") end) as _sl_b1,
    (case when is_varchar(payload."metadata"."operation") then payload."metadata"."operation"::varchar
        when payload."metadata"."operation" is null or json_typeof(payload."metadata"."operation") = 'null' then null
        when json_size(payload."metadata"."operation") > 65535 then null
        when json_typeof(payload."metadata"."operation") = 'number' and not is_bigint(payload."metadata"."operation") and octet_length(raw_data) <= 65535
          then coalesce(nullif(regexp_substr(from_varbyte(raw_data, 'utf8'), '(?s)"\\Qmetadata\\E"[[:space:]]*:[[:space:]]*[{].*?"\\Qoperation\\E"[[:space:]]*:[[:space:]]*(-?[0-9][0-9.eE+-]*)', 1, 1, 'pe'), ''), json_serialize(payload."metadata"."operation"))
        else json_serialize(payload."metadata"."operation") end) as _sl_op,
    (case when is_varchar(payload."metadata"."record-type") then payload."metadata"."record-type"::varchar
        when payload."metadata"."record-type" is null or json_typeof(payload."metadata"."record-type") = 'null' then null
        when json_size(payload."metadata"."record-type") > 65535 then null
        when json_typeof(payload."metadata"."record-type") = 'number' and not is_bigint(payload."metadata"."record-type") and octet_length(raw_data) <= 65535
          then coalesce(nullif(regexp_substr(from_varbyte(raw_data, 'utf8'), '(?s)"\\Qmetadata\\E"[[:space:]]*:[[:space:]]*[{].*?"\\Qrecord-type\\E"[[:space:]]*:[[:space:]]*(-?[0-9][0-9.eE+-]*)', 1, 1, 'pe'), ''), json_serialize(payload."metadata"."record-type"))
        else json_serialize(payload."metadata"."record-type") end) as _sl_record_type,
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
        else json_serialize(payload."metadata"."transaction-record-id") end) as _sl_trid,
    (case when is_varchar(payload."metadata"."table-name") then payload."metadata"."table-name"::varchar
        when payload."metadata"."table-name" is null or json_typeof(payload."metadata"."table-name") = 'null' then null
        when json_size(payload."metadata"."table-name") > 65535 then null
        when json_typeof(payload."metadata"."table-name") = 'number' and not is_bigint(payload."metadata"."table-name") and octet_length(raw_data) <= 65535
          then coalesce(nullif(regexp_substr(from_varbyte(raw_data, 'utf8'), '(?s)"\\Qmetadata\\E"[[:space:]]*:[[:space:]]*[{].*?"\\Qtable-name\\E"[[:space:]]*:[[:space:]]*(-?[0-9][0-9.eE+-]*)', 1, 1, 'pe'), ''), json_serialize(payload."metadata"."table-name"))
        else json_serialize(payload."metadata"."table-name") end) as _sl_table,
    (case when is_varchar(payload."metadata"."schema-name") then payload."metadata"."schema-name"::varchar
        when payload."metadata"."schema-name" is null or json_typeof(payload."metadata"."schema-name") = 'null' then null
        when json_size(payload."metadata"."schema-name") > 65535 then null
        when json_typeof(payload."metadata"."schema-name") = 'number' and not is_bigint(payload."metadata"."schema-name") and octet_length(raw_data) <= 65535
          then coalesce(nullif(regexp_substr(from_varbyte(raw_data, 'utf8'), '(?s)"\\Qmetadata\\E"[[:space:]]*:[[:space:]]*[{].*?"\\Qschema-name\\E"[[:space:]]*:[[:space:]]*(-?[0-9][0-9.eE+-]*)', 1, 1, 'pe'), ''), json_serialize(payload."metadata"."schema-name"))
        else json_serialize(payload."metadata"."schema-name") end) as _sl_schema
  from (select new_rows.* from new_rows) records
),
batch as (
  select parsed.*, batch_end._sl_batch_end
  from parsed cross join batch_end
  where _sl_table = 'cart'
    and _sl_schema = 'public'
),
truncates as (
  select
    '1' || _sl_truncate_digits || lpad(coalesce(_sl_trid, ''), 20, '0')
      || lpad(cast(length(sequence_number) as varchar), 3, '0') || sequence_number as _streamleap_order,
    case when _sl_truncate_problem is null then cast(substr(_sl_truncate_digits, 1, 4) || '-' || substr(_sl_truncate_digits, 5, 2) || '-' || substr(_sl_truncate_digits, 7, 2) || ' ' || substr(_sl_truncate_digits, 9, 2) || ':' || substr(_sl_truncate_digits, 11, 2) || ':' || substr(_sl_truncate_digits, 13, 2) || '.' || substr(_sl_truncate_digits, 15, 6) as timestamp) end as _streamleap_commit_ts,
    _sl_batch_end as _streamleap_synced_at
  from (select r.*, case when r._sl_op = 'drop-table'
       then 'drop-table: the source table was dropped; the mirror keeps its rows'
     when r._sl_op = 'truncate-table' and r._sl_commit_text is null
       then 'truncate-table without metadata.commit-timestamp cannot be placed in commit order; the mirror keeps its rows'
     when r._sl_op = 'truncate-table' then case
       
    when 'load' is null or 'load' not in ('load', 'insert', 'update', 'delete')
      then 'unknown operation ' || coalesce('load', '(missing)')
    when r._sl_commit_text is null and r._sl_ts_text is null
      then 'metadata.timestamp is missing'
    when r._sl_commit_text is not null and not (case when (r._sl_commit_text ~ '^(([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[ T](([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?)(Z|[+-](0[0-9]|1[0-4])(:?[0-5][0-9])?)?)$')
                                          then (try_cast(substr(r._sl_commit_text, 1, 10) as date) is not null) else false end)
      then 'metadata.commit-timestamp is not an ISO-8601 timestamp'
    when r._sl_ts_text is not null and not (case when (r._sl_ts_text ~ '^(([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[ T](([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?)(Z|[+-](0[0-9]|1[0-4])(:?[0-5][0-9])?)?)$')
                                          then (try_cast(substr(r._sl_ts_text, 1, 10) as date) is not null) else false end)
      then 'metadata.timestamp is not an ISO-8601 timestamp'
    when r._sl_trid is not null and not (r._sl_trid ~ '^([0-9]{1,20})$')
      then 'metadata.transaction-record-id is not a whole number of at most 20 digits'
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
    case when octet_length(_sl_t2) <= 80 then cast(_sl_t2 as VARCHAR(80))
  else cast(null as VARCHAR(80)) end as _sl_v2,
    case when (case when (_sl_t3 ~ '^([+-]?0*[0-9]{0,10}([.][0-9]{0,2}0*)?)$')
            then _sl_t3 not in ('', '+', '-', '.', '+.', '-.')
          else false end) then cast(_sl_t3 as DECIMAL(12,2))
  else cast(null as DECIMAL(12,2)) end as _sl_v3,
    case when lower(_sl_t4) in ('true', 'false', '1', '0', 't', 'f') then lower(_sl_t4) in ('true', '1', 't')
  else cast(null as BOOLEAN) end as _sl_v4,
    case when (case when (_sl_t5 ~ '^(([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[ T](([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?|24:00:00)(Z|[+-](0[0-9]|1[0-4])(:?[0-5][0-9])?)?)$') then (try_cast(replace(_sl_t5, 'T', ' ') as TIMESTAMPTZ) is not null) else false end) then cast(replace(_sl_t5, 'T', ' ') || case when (_sl_t5 ~ '^(.*(Z|[+-](0[0-9]|1[0-4])(:?[0-5][0-9])?))$') then '' else '+00:00' end as TIMESTAMPTZ)
  else cast(null as TIMESTAMPTZ) end as _sl_v5,
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
    
    when _sl_op is null or _sl_op not in ('load', 'insert', 'update', 'delete')
      then 'unknown operation ' || coalesce(_sl_op, '(missing)')
    when _sl_commit_text is null and _sl_ts_text is null
      then 'metadata.timestamp is missing'
    when _sl_commit_text is not null and not (case when (_sl_commit_text ~ '^(([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[ T](([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?)(Z|[+-](0[0-9]|1[0-4])(:?[0-5][0-9])?)?)$')
                                          then (try_cast(substr(_sl_commit_text, 1, 10) as date) is not null) else false end)
      then 'metadata.commit-timestamp is not an ISO-8601 timestamp'
    when _sl_ts_text is not null and not (case when (_sl_ts_text ~ '^(([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[ T](([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?)(Z|[+-](0[0-9]|1[0-4])(:?[0-5][0-9])?)?)$')
                                          then (try_cast(substr(_sl_ts_text, 1, 10) as date) is not null) else false end)
      then 'metadata.timestamp is not an ISO-8601 timestamp'
    when _sl_trid is not null and not (_sl_trid ~ '^([0-9]{1,20})$')
      then 'metadata.transaction-record-id is not a whole number of at most 20 digits'
    when _sl_t1 is null
      then 'key column id is missing'
    when _sl_t1 is not null and _sl_v1 is null
      then 'column id: value does not fit BIGINT'
    when _sl_op <> 'delete' and _sl_t2 is not null and _sl_v2 is null
      then 'column status: value does not fit VARCHAR(80)'
    when _sl_op <> 'delete' and _sl_t3 is not null and _sl_v3 is null
      then 'column total: value does not fit DECIMAL(12,2)'
    when _sl_op <> 'delete' and _sl_t4 is not null and _sl_v4 is null
      then 'column paid: value does not fit BOOLEAN'
    when _sl_op <> 'delete' and _sl_t5 is not null and _sl_v5 is null
      then 'column created_at: value does not fit TIMESTAMPTZ'
    when _sl_op <> 'delete' and _sl_t6 is not null and not (can_json_parse(_sl_t6))
      then 'column attrs: value does not fit SUPER'
    when _sl_op <> 'delete' and _sl_t7 is not null and not (((_sl_t7 ~ '^((0x)?([0-9a-fA-F]{2})*)$') and length(regexp_replace(_sl_t7, '^0x', '')) <= 2048000))
      then 'column receipt: value does not fit VARBYTE(1024000)'
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
    case when _sl_op = 'delete' then cast(null as VARCHAR(80)) else _sl_v2 end as "status",
    case when _sl_op = 'delete' then cast(null as DECIMAL(12,2)) else _sl_v3 end as "total",
    case when _sl_op = 'delete' then cast(null as BOOLEAN) else _sl_v4 end as "paid",
    case when _sl_op = 'delete' then cast(null as TIMESTAMPTZ) else _sl_v5 end as "created_at",
    case when _sl_op = 'delete' then cast(null as SUPER) else case when is_varchar(payload."data"."attrs") then case when can_json_parse(payload."data"."attrs"::varchar) then json_parse(payload."data"."attrs"::varchar) end else payload."data"."attrs" end end as "attrs",
    case when _sl_op = 'delete' then cast(null as VARBYTE(1024000)) else case when ((_sl_t7 ~ '^((0x)?([0-9a-fA-F]{2})*)$') and length(regexp_replace(_sl_t7, '^0x', '')) <= 2048000) then to_varbyte(regexp_replace(_sl_t7, '^0x', ''), 'hex')
  else cast(null as VARBYTE(1024000)) end end as "receipt",
    _sl_bv1 as _sl_before_1,
    _sl_op,
    case when _sl_op = 'load' and _sl_commit_text is null then '0' else '1' end
      || case when _sl_commit_text is null then '00000000000000000000' else _sl_time_digits end
      || lpad(coalesce(_sl_trid, ''), 20, '0')
      || lpad(cast(length(sequence_number) as varchar), 3, '0') || sequence_number as _streamleap_order,
    case when _sl_problem is null then cast(substr(_sl_time_digits, 1, 4) || '-' || substr(_sl_time_digits, 5, 2) || '-' || substr(_sl_time_digits, 7, 2) || ' ' || substr(_sl_time_digits, 9, 2) || ':' || substr(_sl_time_digits, 11, 2) || ':' || substr(_sl_time_digits, 13, 2) || '.' || substr(_sl_time_digits, 15, 6) as timestamp) end as _streamleap_commit_ts,
    _sl_batch_end as _streamleap_synced_at
  from checked
  where _sl_problem is null
),
keyed as (
  select
    "id",
    "status",
    "total",
    "paid",
    "created_at",
    "attrs",
    "receipt",
    _sl_op as _streamleap_op, _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at
  from changes
  union all
  
  select
    _sl_before_1,
    cast(null as VARCHAR(80)),
    cast(null as DECIMAL(12,2)),
    cast(null as BOOLEAN),
    cast(null as TIMESTAMPTZ),
    cast(null as SUPER),
    cast(null as VARBYTE(1024000)),
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
  ranked."status",
  ranked."total",
  ranked."paid",
  ranked."created_at",
  ranked."attrs",
  ranked."receipt",
  cast(ranked._streamleap_op as varchar(16)) as _streamleap_op,
  cast(ranked._streamleap_order as varchar(256)) as _streamleap_order,
  ranked._streamleap_commit_ts,
  ranked._streamleap_synced_at
from ranked
where ranked._sl_rank = 1
union all
select
  cast(null as BIGINT),
  cast(null as VARCHAR(80)),
  cast(null as DECIMAL(12,2)),
  cast(null as BOOLEAN),
  cast(null as TIMESTAMPTZ),
  cast(null as SUPER),
  cast(null as VARBYTE(1024000)),
  cast('truncate' as varchar(16)), cast(_streamleap_order as varchar(256)), _streamleap_commit_ts, _streamleap_synced_at
from truncates
union all

select
  cast(null as BIGINT),
  cast(null as VARCHAR(80)),
  cast(null as DECIMAL(12,2)),
  cast(null as BOOLEAN),
  cast(null as TIMESTAMPTZ),
  cast(null as SUPER),
  cast(null as VARBYTE(1024000)),
  cast('watermark' as varchar(16)), cast(null as varchar(256)), cast(null as timestamp), _sl_batch_end
from batch_end
where _sl_batch_end is not null
