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
    (case when is_varchar(payload."data"."cart_id") then payload."data"."cart_id"::varchar
        when payload."data"."cart_id" is null or json_typeof(payload."data"."cart_id") = 'null' then null
        when json_size(payload."data"."cart_id") > 65535 then null
        when json_typeof(payload."data"."cart_id") = 'number' and not is_bigint(payload."data"."cart_id") and octet_length(raw_data) <= 65535
          then coalesce(nullif(regexp_substr(from_varbyte(raw_data, 'utf8'), '(?s)"\\Qdata\\E"[[:space:]]*:[[:space:]]*[{].*?"\\Qcart_id\\E"[[:space:]]*:[[:space:]]*(-?[0-9][0-9.eE+-]*)', 1, 1, 'pe'), ''), json_serialize(payload."data"."cart_id"))
        else json_serialize(payload."data"."cart_id") end) as _sl_t1,
    (case when is_varchar(payload."data"."line_no") then payload."data"."line_no"::varchar
        when payload."data"."line_no" is null or json_typeof(payload."data"."line_no") = 'null' then null
        when json_size(payload."data"."line_no") > 65535 then null
        when json_typeof(payload."data"."line_no") = 'number' and not is_bigint(payload."data"."line_no") and octet_length(raw_data) <= 65535
          then coalesce(nullif(regexp_substr(from_varbyte(raw_data, 'utf8'), '(?s)"\\Qdata\\E"[[:space:]]*:[[:space:]]*[{].*?"\\Qline_no\\E"[[:space:]]*:[[:space:]]*(-?[0-9][0-9.eE+-]*)', 1, 1, 'pe'), ''), json_serialize(payload."data"."line_no"))
        else json_serialize(payload."data"."line_no") end) as _sl_t2,
    (case when is_varchar(payload."data"."sku") then payload."data"."sku"::varchar
        when payload."data"."sku" is null or json_typeof(payload."data"."sku") = 'null' then null
        when json_size(payload."data"."sku") > 65535 then null
        when json_typeof(payload."data"."sku") = 'number' and not is_bigint(payload."data"."sku") and octet_length(raw_data) <= 65535
          then coalesce(nullif(regexp_substr(from_varbyte(raw_data, 'utf8'), '(?s)"\\Qdata\\E"[[:space:]]*:[[:space:]]*[{].*?"\\Qsku\\E"[[:space:]]*:[[:space:]]*(-?[0-9][0-9.eE+-]*)', 1, 1, 'pe'), ''), json_serialize(payload."data"."sku"))
        else json_serialize(payload."data"."sku") end) as _sl_t3,
    (case when is_varchar(payload."before-image"."cart_id") then payload."before-image"."cart_id"::varchar
        when payload."before-image"."cart_id" is null or json_typeof(payload."before-image"."cart_id") = 'null' then null
        when json_size(payload."before-image"."cart_id") > 65535 then null
        when json_typeof(payload."before-image"."cart_id") = 'number' and not is_bigint(payload."before-image"."cart_id") and octet_length(raw_data) <= 65535
          then coalesce(nullif(regexp_substr(from_varbyte(raw_data, 'utf8'), '(?s)"\\Qbefore-image\\E"[[:space:]]*:[[:space:]]*[{].*?"\\Qcart_id\\E"[[:space:]]*:[[:space:]]*(-?[0-9][0-9.eE+-]*)', 1, 1, 'pe'), ''), json_serialize(payload."before-image"."cart_id"))
        else json_serialize(payload."before-image"."cart_id") end) as _sl_b1,
    (case when is_varchar(payload."before-image"."line_no") then payload."before-image"."line_no"::varchar
        when payload."before-image"."line_no" is null or json_typeof(payload."before-image"."line_no") = 'null' then null
        when json_size(payload."before-image"."line_no") > 65535 then null
        when json_typeof(payload."before-image"."line_no") = 'number' and not is_bigint(payload."before-image"."line_no") and octet_length(raw_data) <= 65535
          then coalesce(nullif(regexp_substr(from_varbyte(raw_data, 'utf8'), '(?s)"\\Qbefore-image\\E"[[:space:]]*:[[:space:]]*[{].*?"\\Qline_no\\E"[[:space:]]*:[[:space:]]*(-?[0-9][0-9.eE+-]*)', 1, 1, 'pe'), ''), json_serialize(payload."before-image"."line_no"))
        else json_serialize(payload."before-image"."line_no") end) as _sl_b2,
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
  where _sl_table = 'cart_item'
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
    case when (_sl_t2 ~ '^([+-]?[0-9]+)$')
         then case when length(_sl_t2) <= 20 then case when cast(_sl_t2 as decimal(38,0)) between -2147483648 and 2147483647 then cast(_sl_t2 as INTEGER) end end
       when (_sl_t2 ~ '^([+-]?[0-9]{1,20}[.]0*)$')
         then case when length(split_part(_sl_t2, '.', 1)) <= 20 then case when cast(split_part(_sl_t2, '.', 1) as decimal(38,0)) between -2147483648 and 2147483647 then cast(split_part(_sl_t2, '.', 1) as INTEGER) end end
       when (_sl_t2 ~ '^([+-]?[0-9]{1,20}([.][0-9]{0,20})?[eE][+]?[0-9]{1,2})$')
         then case when (length(rtrim(split_part(regexp_replace(_sl_t2, '^[+-]|[eE].*$', ''), '.', 2), '0')) <= cast(regexp_replace(_sl_t2, '^.*[eE][+]?', '') as integer)) and length((case when _sl_t2 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_t2, '^[+-]|[eE].*$', ''), '.', 1) || rpad(split_part(regexp_replace(_sl_t2, '^[+-]|[eE].*$', ''), '.', 2), cast(regexp_replace(_sl_t2, '^.*[eE][+]?', '') as integer), '0'), '0'), ''), '0'))) <= 20
                   then case when cast((case when _sl_t2 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_t2, '^[+-]|[eE].*$', ''), '.', 1) || rpad(split_part(regexp_replace(_sl_t2, '^[+-]|[eE].*$', ''), '.', 2), cast(regexp_replace(_sl_t2, '^.*[eE][+]?', '') as integer), '0'), '0'), ''), '0')) as decimal(38,0)) between -2147483648 and 2147483647 then cast((case when _sl_t2 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_t2, '^[+-]|[eE].*$', ''), '.', 1) || rpad(split_part(regexp_replace(_sl_t2, '^[+-]|[eE].*$', ''), '.', 2), cast(regexp_replace(_sl_t2, '^.*[eE][+]?', '') as integer), '0'), '0'), ''), '0')) as INTEGER) end end
  end as _sl_v2,
    case when octet_length(_sl_t3) <= 65535 then cast(_sl_t3 as VARCHAR(65535))
  else cast(null as VARCHAR(65535)) end as _sl_v3,
    case when (_sl_b1 ~ '^([+-]?[0-9]+)$')
         then case when length(_sl_b1) <= 20 then case when cast(_sl_b1 as decimal(38,0)) between -9223372036854775808 and 9223372036854775807 then cast(_sl_b1 as BIGINT) end end
       when (_sl_b1 ~ '^([+-]?[0-9]{1,20}[.]0*)$')
         then case when length(split_part(_sl_b1, '.', 1)) <= 20 then case when cast(split_part(_sl_b1, '.', 1) as decimal(38,0)) between -9223372036854775808 and 9223372036854775807 then cast(split_part(_sl_b1, '.', 1) as BIGINT) end end
       when (_sl_b1 ~ '^([+-]?[0-9]{1,20}([.][0-9]{0,20})?[eE][+]?[0-9]{1,2})$')
         then case when (length(rtrim(split_part(regexp_replace(_sl_b1, '^[+-]|[eE].*$', ''), '.', 2), '0')) <= cast(regexp_replace(_sl_b1, '^.*[eE][+]?', '') as integer)) and length((case when _sl_b1 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_b1, '^[+-]|[eE].*$', ''), '.', 1) || rpad(split_part(regexp_replace(_sl_b1, '^[+-]|[eE].*$', ''), '.', 2), cast(regexp_replace(_sl_b1, '^.*[eE][+]?', '') as integer), '0'), '0'), ''), '0'))) <= 20
                   then case when cast((case when _sl_b1 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_b1, '^[+-]|[eE].*$', ''), '.', 1) || rpad(split_part(regexp_replace(_sl_b1, '^[+-]|[eE].*$', ''), '.', 2), cast(regexp_replace(_sl_b1, '^.*[eE][+]?', '') as integer), '0'), '0'), ''), '0')) as decimal(38,0)) between -9223372036854775808 and 9223372036854775807 then cast((case when _sl_b1 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_b1, '^[+-]|[eE].*$', ''), '.', 1) || rpad(split_part(regexp_replace(_sl_b1, '^[+-]|[eE].*$', ''), '.', 2), cast(regexp_replace(_sl_b1, '^.*[eE][+]?', '') as integer), '0'), '0'), ''), '0')) as BIGINT) end end
  end as _sl_bv1,
    case when (_sl_b2 ~ '^([+-]?[0-9]+)$')
         then case when length(_sl_b2) <= 20 then case when cast(_sl_b2 as decimal(38,0)) between -2147483648 and 2147483647 then cast(_sl_b2 as INTEGER) end end
       when (_sl_b2 ~ '^([+-]?[0-9]{1,20}[.]0*)$')
         then case when length(split_part(_sl_b2, '.', 1)) <= 20 then case when cast(split_part(_sl_b2, '.', 1) as decimal(38,0)) between -2147483648 and 2147483647 then cast(split_part(_sl_b2, '.', 1) as INTEGER) end end
       when (_sl_b2 ~ '^([+-]?[0-9]{1,20}([.][0-9]{0,20})?[eE][+]?[0-9]{1,2})$')
         then case when (length(rtrim(split_part(regexp_replace(_sl_b2, '^[+-]|[eE].*$', ''), '.', 2), '0')) <= cast(regexp_replace(_sl_b2, '^.*[eE][+]?', '') as integer)) and length((case when _sl_b2 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_b2, '^[+-]|[eE].*$', ''), '.', 1) || rpad(split_part(regexp_replace(_sl_b2, '^[+-]|[eE].*$', ''), '.', 2), cast(regexp_replace(_sl_b2, '^.*[eE][+]?', '') as integer), '0'), '0'), ''), '0'))) <= 20
                   then case when cast((case when _sl_b2 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_b2, '^[+-]|[eE].*$', ''), '.', 1) || rpad(split_part(regexp_replace(_sl_b2, '^[+-]|[eE].*$', ''), '.', 2), cast(regexp_replace(_sl_b2, '^.*[eE][+]?', '') as integer), '0'), '0'), ''), '0')) as decimal(38,0)) between -2147483648 and 2147483647 then cast((case when _sl_b2 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_b2, '^[+-]|[eE].*$', ''), '.', 1) || rpad(split_part(regexp_replace(_sl_b2, '^[+-]|[eE].*$', ''), '.', 2), cast(regexp_replace(_sl_b2, '^.*[eE][+]?', '') as integer), '0'), '0'), ''), '0')) as INTEGER) end end
  end as _sl_bv2
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
      then 'key column cart_id is missing'
    when _sl_t2 is null
      then 'key column line_no is missing'
    when _sl_t1 is not null and _sl_v1 is null
      then 'column cart_id: value does not fit BIGINT'
    when _sl_t2 is not null and _sl_v2 is null
      then 'column line_no: value does not fit INTEGER'
    when _sl_b1 is not null and _sl_bv1 is null
      then 'before-image key column cart_id: value does not fit BIGINT'
    when _sl_b2 is not null and _sl_bv2 is null
      then 'before-image key column line_no: value does not fit INTEGER'
  end as _sl_problem,
    rpad(substr(coalesce(_sl_commit_text, _sl_ts_text), 1, 4) || substr(coalesce(_sl_commit_text, _sl_ts_text), 6, 2) || substr(coalesce(_sl_commit_text, _sl_ts_text), 9, 2) || substr(coalesce(_sl_commit_text, _sl_ts_text), 12, 2) || substr(coalesce(_sl_commit_text, _sl_ts_text), 15, 2) || substr(coalesce(_sl_commit_text, _sl_ts_text), 18, 2)
       || case when substr(coalesce(_sl_commit_text, _sl_ts_text), 20, 1) = '.' then split_part(translate(substr(coalesce(_sl_commit_text, _sl_ts_text), 21, 13), 'Z+-', '...'), '.', 1) else '' end, 20, '0') as _sl_time_digits
  from typed
),
changes as (
  select
    _sl_v1 as "cart_id",
    _sl_v2 as "line_no",
    case when _sl_v3 is not null then _sl_v3 else cast(from_varbyte(substring(to_varbyte(substr(_sl_t3, 1, 65536), 'utf8'), 1, (case when not (substring(to_hex(substring(to_varbyte(substr(_sl_t3, 1, 65536), 'utf8'), 65536, 1)), 1, 1) in ('8', '9', 'a', 'b', 'A', 'B')) then 65535 when not (substring(to_hex(substring(to_varbyte(substr(_sl_t3, 1, 65536), 'utf8'), 65535, 1)), 1, 1) in ('8', '9', 'a', 'b', 'A', 'B')) then 65534 when not (substring(to_hex(substring(to_varbyte(substr(_sl_t3, 1, 65536), 'utf8'), 65534, 1)), 1, 1) in ('8', '9', 'a', 'b', 'A', 'B')) then 65533 else 65532 end)), 'utf8') as VARCHAR(65535)) end as "sku",
    _sl_bv1 as _sl_before_1,
    _sl_bv2 as _sl_before_2,
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
    "cart_id",
    "line_no",
    "sku",
    _sl_op as _streamleap_op, _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at
  from changes
  union all
  
  select
    _sl_before_1,
    _sl_before_2,
    cast(null as VARCHAR(65535)),
    'delete', _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at
  from changes
  where _sl_op = 'update'
    and _sl_before_1 is not null and _sl_before_2 is not null
    and not (_sl_before_1 = "cart_id" and _sl_before_2 = "line_no")
),
ranked as (
  select keyed.*, row_number() over (
    partition by "cart_id", "line_no"
    order by _streamleap_order desc) as _sl_rank
  from keyed
)
select
  ranked."cart_id",
  ranked."line_no",
  ranked."sku",
  cast(ranked._streamleap_op as varchar(16)) as _streamleap_op,
  cast(ranked._streamleap_order as varchar(256)) as _streamleap_order,
  ranked._streamleap_commit_ts,
  ranked._streamleap_synced_at
from ranked
where ranked._sl_rank = 1
union all
select
  cast(null as BIGINT),
  cast(null as INTEGER),
  cast(null as VARCHAR(65535)),
  cast('truncate' as varchar(16)), cast(_streamleap_order as varchar(256)), _streamleap_commit_ts, _streamleap_synced_at
from truncates
union all

select
  cast(null as BIGINT),
  cast(null as INTEGER),
  cast(null as VARCHAR(65535)),
  cast('watermark' as varchar(16)), cast(null as varchar(256)), cast(null as timestamp), _sl_batch_end
from batch_end
where _sl_batch_end is not null
