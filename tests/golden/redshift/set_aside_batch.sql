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
    (case when is_varchar(payload."data"."status") then payload."data"."status"::varchar
        when payload."data"."status" is null or json_typeof(payload."data"."status") = 'null' then null
        when json_size(payload."data"."status") > 65535 then null
        when json_typeof(payload."data"."status") = 'number' and not is_bigint(payload."data"."status") and octet_length(raw_data) <= 65535
          then coalesce(nullif(regexp_substr(from_varbyte(raw_data, 'utf8'), '(?s)"\\Qdata\\E"[[:space:]]*:[[:space:]]*[{].*?"\\Qstatus\\E"[[:space:]]*:[[:space:]]*(-?[0-9][0-9.eE+-]*)', 1, 1, 'pe'), ''), json_serialize(payload."data"."status"))
        else json_serialize(payload."data"."status") end) as _sl_s2_8,
    (case when is_varchar(payload."data"."total") then payload."data"."total"::varchar
        when payload."data"."total" is null or json_typeof(payload."data"."total") = 'null' then null
        when json_size(payload."data"."total") > 65535 then null
        when json_typeof(payload."data"."total") = 'number' and not is_bigint(payload."data"."total") and octet_length(raw_data) <= 65535
          then coalesce(nullif(regexp_substr(from_varbyte(raw_data, 'utf8'), '(?s)"\\Qdata\\E"[[:space:]]*:[[:space:]]*[{].*?"\\Qtotal\\E"[[:space:]]*:[[:space:]]*(-?[0-9][0-9.eE+-]*)', 1, 1, 'pe'), ''), json_serialize(payload."data"."total"))
        else json_serialize(payload."data"."total") end) as _sl_s3_9,
    (case when is_varchar(payload."data"."paid") then payload."data"."paid"::varchar
        when payload."data"."paid" is null or json_typeof(payload."data"."paid") = 'null' then null
        when json_size(payload."data"."paid") > 65535 then null
        when json_typeof(payload."data"."paid") = 'number' and not is_bigint(payload."data"."paid") and octet_length(raw_data) <= 65535
          then coalesce(nullif(regexp_substr(from_varbyte(raw_data, 'utf8'), '(?s)"\\Qdata\\E"[[:space:]]*:[[:space:]]*[{].*?"\\Qpaid\\E"[[:space:]]*:[[:space:]]*(-?[0-9][0-9.eE+-]*)', 1, 1, 'pe'), ''), json_serialize(payload."data"."paid"))
        else json_serialize(payload."data"."paid") end) as _sl_s4_10,
    (case when is_varchar(payload."data"."created_at") then payload."data"."created_at"::varchar
        when payload."data"."created_at" is null or json_typeof(payload."data"."created_at") = 'null' then null
        when json_size(payload."data"."created_at") > 65535 then null
        when json_typeof(payload."data"."created_at") = 'number' and not is_bigint(payload."data"."created_at") and octet_length(raw_data) <= 65535
          then coalesce(nullif(regexp_substr(from_varbyte(raw_data, 'utf8'), '(?s)"\\Qdata\\E"[[:space:]]*:[[:space:]]*[{].*?"\\Qcreated_at\\E"[[:space:]]*:[[:space:]]*(-?[0-9][0-9.eE+-]*)', 1, 1, 'pe'), ''), json_serialize(payload."data"."created_at"))
        else json_serialize(payload."data"."created_at") end) as _sl_s5_11,
    (case when is_varchar(payload."data"."attrs") then payload."data"."attrs"::varchar
        when payload."data"."attrs" is null or json_typeof(payload."data"."attrs") = 'null' then null
        when json_size(payload."data"."attrs") > 65535 then null
        when json_typeof(payload."data"."attrs") = 'number' and not is_bigint(payload."data"."attrs") and octet_length(raw_data) <= 65535
          then coalesce(nullif(regexp_substr(from_varbyte(raw_data, 'utf8'), '(?s)"\\Qdata\\E"[[:space:]]*:[[:space:]]*[{].*?"\\Qattrs\\E"[[:space:]]*:[[:space:]]*(-?[0-9][0-9.eE+-]*)', 1, 1, 'pe'), ''), json_serialize(payload."data"."attrs"))
        else json_serialize(payload."data"."attrs") end) as _sl_s6_12,
    (case when is_varchar(payload."data"."receipt") then payload."data"."receipt"::varchar
        when payload."data"."receipt" is null or json_typeof(payload."data"."receipt") = 'null' then null
        when json_size(payload."data"."receipt") > 65535 then null
        when json_typeof(payload."data"."receipt") = 'number' and not is_bigint(payload."data"."receipt") and octet_length(raw_data) <= 65535
          then coalesce(nullif(regexp_substr(from_varbyte(raw_data, 'utf8'), '(?s)"\\Qdata\\E"[[:space:]]*:[[:space:]]*[{].*?"\\Qreceipt\\E"[[:space:]]*:[[:space:]]*(-?[0-9][0-9.eE+-]*)', 1, 1, 'pe'), ''), json_serialize(payload."data"."receipt"))
        else json_serialize(payload."data"."receipt") end) as _sl_s7_13,
    (case when is_varchar(payload."before-image"."id") then payload."before-image"."id"::varchar
        when payload."before-image"."id" is null or json_typeof(payload."before-image"."id") = 'null' then null
        when json_size(payload."before-image"."id") > 65535 then null
        when json_typeof(payload."before-image"."id") = 'number' and not is_bigint(payload."before-image"."id") and octet_length(raw_data) <= 65535
          then coalesce(nullif(regexp_substr(from_varbyte(raw_data, 'utf8'), '(?s)"\\Qbefore-image\\E"[[:space:]]*:[[:space:]]*[{].*?"\\Qid\\E"[[:space:]]*:[[:space:]]*(-?[0-9][0-9.eE+-]*)', 1, 1, 'pe'), ''), json_serialize(payload."before-image"."id"))
        else json_serialize(payload."before-image"."id") end) as _sl_s8_14,
    (case when is_varchar(payload."data"."cart_id") then payload."data"."cart_id"::varchar
        when payload."data"."cart_id" is null or json_typeof(payload."data"."cart_id") = 'null' then null
        when json_size(payload."data"."cart_id") > 65535 then null
        when json_typeof(payload."data"."cart_id") = 'number' and not is_bigint(payload."data"."cart_id") and octet_length(raw_data) <= 65535
          then coalesce(nullif(regexp_substr(from_varbyte(raw_data, 'utf8'), '(?s)"\\Qdata\\E"[[:space:]]*:[[:space:]]*[{].*?"\\Qcart_id\\E"[[:space:]]*:[[:space:]]*(-?[0-9][0-9.eE+-]*)', 1, 1, 'pe'), ''), json_serialize(payload."data"."cart_id"))
        else json_serialize(payload."data"."cart_id") end) as _sl_s1_15,
    (case when is_varchar(payload."data"."line_no") then payload."data"."line_no"::varchar
        when payload."data"."line_no" is null or json_typeof(payload."data"."line_no") = 'null' then null
        when json_size(payload."data"."line_no") > 65535 then null
        when json_typeof(payload."data"."line_no") = 'number' and not is_bigint(payload."data"."line_no") and octet_length(raw_data) <= 65535
          then coalesce(nullif(regexp_substr(from_varbyte(raw_data, 'utf8'), '(?s)"\\Qdata\\E"[[:space:]]*:[[:space:]]*[{].*?"\\Qline_no\\E"[[:space:]]*:[[:space:]]*(-?[0-9][0-9.eE+-]*)', 1, 1, 'pe'), ''), json_serialize(payload."data"."line_no"))
        else json_serialize(payload."data"."line_no") end) as _sl_s2_16,
    (case when is_varchar(payload."data"."sku") then payload."data"."sku"::varchar
        when payload."data"."sku" is null or json_typeof(payload."data"."sku") = 'null' then null
        when json_size(payload."data"."sku") > 65535 then null
        when json_typeof(payload."data"."sku") = 'number' and not is_bigint(payload."data"."sku") and octet_length(raw_data) <= 65535
          then coalesce(nullif(regexp_substr(from_varbyte(raw_data, 'utf8'), '(?s)"\\Qdata\\E"[[:space:]]*:[[:space:]]*[{].*?"\\Qsku\\E"[[:space:]]*:[[:space:]]*(-?[0-9][0-9.eE+-]*)', 1, 1, 'pe'), ''), json_serialize(payload."data"."sku"))
        else json_serialize(payload."data"."sku") end) as _sl_s3_17,
    (case when is_varchar(payload."before-image"."cart_id") then payload."before-image"."cart_id"::varchar
        when payload."before-image"."cart_id" is null or json_typeof(payload."before-image"."cart_id") = 'null' then null
        when json_size(payload."before-image"."cart_id") > 65535 then null
        when json_typeof(payload."before-image"."cart_id") = 'number' and not is_bigint(payload."before-image"."cart_id") and octet_length(raw_data) <= 65535
          then coalesce(nullif(regexp_substr(from_varbyte(raw_data, 'utf8'), '(?s)"\\Qbefore-image\\E"[[:space:]]*:[[:space:]]*[{].*?"\\Qcart_id\\E"[[:space:]]*:[[:space:]]*(-?[0-9][0-9.eE+-]*)', 1, 1, 'pe'), ''), json_serialize(payload."before-image"."cart_id"))
        else json_serialize(payload."before-image"."cart_id") end) as _sl_s4_18,
    (case when is_varchar(payload."before-image"."line_no") then payload."before-image"."line_no"::varchar
        when payload."before-image"."line_no" is null or json_typeof(payload."before-image"."line_no") = 'null' then null
        when json_size(payload."before-image"."line_no") > 65535 then null
        when json_typeof(payload."before-image"."line_no") = 'number' and not is_bigint(payload."before-image"."line_no") and octet_length(raw_data) <= 65535
          then coalesce(nullif(regexp_substr(from_varbyte(raw_data, 'utf8'), '(?s)"\\Qbefore-image\\E"[[:space:]]*:[[:space:]]*[{].*?"\\Qline_no\\E"[[:space:]]*:[[:space:]]*(-?[0-9][0-9.eE+-]*)', 1, 1, 'pe'), ''), json_serialize(payload."before-image"."line_no"))
        else json_serialize(payload."before-image"."line_no") end) as _sl_s5_19
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
      when record_type = 'data' and table_name = 'cart' and schema_name = 'public'
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
    when _sl_s1_7 is not null and not ((case when (_sl_s1_7 ~ '^([+-]?[0-9]+)$')
            then case when length(_sl_s1_7) <= 20 then cast(_sl_s1_7 as decimal(38,0)) between -9223372036854775808 and 9223372036854775807 else false end
          when (_sl_s1_7 ~ '^([+-]?[0-9]{1,20}[.]0*)$')
            then case when length(split_part(_sl_s1_7, '.', 1)) <= 20 then cast(split_part(_sl_s1_7, '.', 1) as decimal(38,0)) between -9223372036854775808 and 9223372036854775807 else false end
          when (_sl_s1_7 ~ '^([+-]?[0-9]{1,20}([.][0-9]{0,20})?[eE][+]?[0-9]{1,2})$')
            then case when (length(rtrim(split_part(regexp_replace(_sl_s1_7, '^[+-]|[eE].*$', ''), '.', 2), '0')) <= cast(regexp_replace(_sl_s1_7, '^.*[eE][+]?', '') as integer)) and length((case when _sl_s1_7 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_s1_7, '^[+-]|[eE].*$', ''), '.', 1) || rpad(split_part(regexp_replace(_sl_s1_7, '^[+-]|[eE].*$', ''), '.', 2), cast(regexp_replace(_sl_s1_7, '^.*[eE][+]?', '') as integer), '0'), '0'), ''), '0'))) <= 20
                      then cast((case when _sl_s1_7 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_s1_7, '^[+-]|[eE].*$', ''), '.', 1) || rpad(split_part(regexp_replace(_sl_s1_7, '^[+-]|[eE].*$', ''), '.', 2), cast(regexp_replace(_sl_s1_7, '^.*[eE][+]?', '') as integer), '0'), '0'), ''), '0')) as decimal(38,0)) between -9223372036854775808 and 9223372036854775807 else false end
          else false end))
      then 'column id: value does not fit BIGINT'
    when _sl_s8_14 is not null and not ((case when (_sl_s8_14 ~ '^([+-]?[0-9]+)$')
            then case when length(_sl_s8_14) <= 20 then cast(_sl_s8_14 as decimal(38,0)) between -9223372036854775808 and 9223372036854775807 else false end
          when (_sl_s8_14 ~ '^([+-]?[0-9]{1,20}[.]0*)$')
            then case when length(split_part(_sl_s8_14, '.', 1)) <= 20 then cast(split_part(_sl_s8_14, '.', 1) as decimal(38,0)) between -9223372036854775808 and 9223372036854775807 else false end
          when (_sl_s8_14 ~ '^([+-]?[0-9]{1,20}([.][0-9]{0,20})?[eE][+]?[0-9]{1,2})$')
            then case when (length(rtrim(split_part(regexp_replace(_sl_s8_14, '^[+-]|[eE].*$', ''), '.', 2), '0')) <= cast(regexp_replace(_sl_s8_14, '^.*[eE][+]?', '') as integer)) and length((case when _sl_s8_14 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_s8_14, '^[+-]|[eE].*$', ''), '.', 1) || rpad(split_part(regexp_replace(_sl_s8_14, '^[+-]|[eE].*$', ''), '.', 2), cast(regexp_replace(_sl_s8_14, '^.*[eE][+]?', '') as integer), '0'), '0'), ''), '0'))) <= 20
                      then cast((case when _sl_s8_14 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_s8_14, '^[+-]|[eE].*$', ''), '.', 1) || rpad(split_part(regexp_replace(_sl_s8_14, '^[+-]|[eE].*$', ''), '.', 2), cast(regexp_replace(_sl_s8_14, '^.*[eE][+]?', '') as integer), '0'), '0'), ''), '0')) as decimal(38,0)) between -9223372036854775808 and 9223372036854775807 else false end
          else false end))
      then 'before-image key column id: value does not fit BIGINT'
  end
      when record_type = 'data' and table_name = 'cart_item' and schema_name = 'public'
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
    when _sl_s1_15 is null
      then 'key column cart_id is missing'
    when _sl_s2_16 is null
      then 'key column line_no is missing'
    when _sl_s1_15 is not null and not ((case when (_sl_s1_15 ~ '^([+-]?[0-9]+)$')
            then case when length(_sl_s1_15) <= 20 then cast(_sl_s1_15 as decimal(38,0)) between -9223372036854775808 and 9223372036854775807 else false end
          when (_sl_s1_15 ~ '^([+-]?[0-9]{1,20}[.]0*)$')
            then case when length(split_part(_sl_s1_15, '.', 1)) <= 20 then cast(split_part(_sl_s1_15, '.', 1) as decimal(38,0)) between -9223372036854775808 and 9223372036854775807 else false end
          when (_sl_s1_15 ~ '^([+-]?[0-9]{1,20}([.][0-9]{0,20})?[eE][+]?[0-9]{1,2})$')
            then case when (length(rtrim(split_part(regexp_replace(_sl_s1_15, '^[+-]|[eE].*$', ''), '.', 2), '0')) <= cast(regexp_replace(_sl_s1_15, '^.*[eE][+]?', '') as integer)) and length((case when _sl_s1_15 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_s1_15, '^[+-]|[eE].*$', ''), '.', 1) || rpad(split_part(regexp_replace(_sl_s1_15, '^[+-]|[eE].*$', ''), '.', 2), cast(regexp_replace(_sl_s1_15, '^.*[eE][+]?', '') as integer), '0'), '0'), ''), '0'))) <= 20
                      then cast((case when _sl_s1_15 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_s1_15, '^[+-]|[eE].*$', ''), '.', 1) || rpad(split_part(regexp_replace(_sl_s1_15, '^[+-]|[eE].*$', ''), '.', 2), cast(regexp_replace(_sl_s1_15, '^.*[eE][+]?', '') as integer), '0'), '0'), ''), '0')) as decimal(38,0)) between -9223372036854775808 and 9223372036854775807 else false end
          else false end))
      then 'column cart_id: value does not fit BIGINT'
    when _sl_s2_16 is not null and not ((case when (_sl_s2_16 ~ '^([+-]?[0-9]+)$')
            then case when length(_sl_s2_16) <= 20 then cast(_sl_s2_16 as decimal(38,0)) between -2147483648 and 2147483647 else false end
          when (_sl_s2_16 ~ '^([+-]?[0-9]{1,20}[.]0*)$')
            then case when length(split_part(_sl_s2_16, '.', 1)) <= 20 then cast(split_part(_sl_s2_16, '.', 1) as decimal(38,0)) between -2147483648 and 2147483647 else false end
          when (_sl_s2_16 ~ '^([+-]?[0-9]{1,20}([.][0-9]{0,20})?[eE][+]?[0-9]{1,2})$')
            then case when (length(rtrim(split_part(regexp_replace(_sl_s2_16, '^[+-]|[eE].*$', ''), '.', 2), '0')) <= cast(regexp_replace(_sl_s2_16, '^.*[eE][+]?', '') as integer)) and length((case when _sl_s2_16 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_s2_16, '^[+-]|[eE].*$', ''), '.', 1) || rpad(split_part(regexp_replace(_sl_s2_16, '^[+-]|[eE].*$', ''), '.', 2), cast(regexp_replace(_sl_s2_16, '^.*[eE][+]?', '') as integer), '0'), '0'), ''), '0'))) <= 20
                      then cast((case when _sl_s2_16 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_s2_16, '^[+-]|[eE].*$', ''), '.', 1) || rpad(split_part(regexp_replace(_sl_s2_16, '^[+-]|[eE].*$', ''), '.', 2), cast(regexp_replace(_sl_s2_16, '^.*[eE][+]?', '') as integer), '0'), '0'), ''), '0')) as decimal(38,0)) between -2147483648 and 2147483647 else false end
          else false end))
      then 'column line_no: value does not fit INTEGER'
    when _sl_s4_18 is not null and not ((case when (_sl_s4_18 ~ '^([+-]?[0-9]+)$')
            then case when length(_sl_s4_18) <= 20 then cast(_sl_s4_18 as decimal(38,0)) between -9223372036854775808 and 9223372036854775807 else false end
          when (_sl_s4_18 ~ '^([+-]?[0-9]{1,20}[.]0*)$')
            then case when length(split_part(_sl_s4_18, '.', 1)) <= 20 then cast(split_part(_sl_s4_18, '.', 1) as decimal(38,0)) between -9223372036854775808 and 9223372036854775807 else false end
          when (_sl_s4_18 ~ '^([+-]?[0-9]{1,20}([.][0-9]{0,20})?[eE][+]?[0-9]{1,2})$')
            then case when (length(rtrim(split_part(regexp_replace(_sl_s4_18, '^[+-]|[eE].*$', ''), '.', 2), '0')) <= cast(regexp_replace(_sl_s4_18, '^.*[eE][+]?', '') as integer)) and length((case when _sl_s4_18 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_s4_18, '^[+-]|[eE].*$', ''), '.', 1) || rpad(split_part(regexp_replace(_sl_s4_18, '^[+-]|[eE].*$', ''), '.', 2), cast(regexp_replace(_sl_s4_18, '^.*[eE][+]?', '') as integer), '0'), '0'), ''), '0'))) <= 20
                      then cast((case when _sl_s4_18 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_s4_18, '^[+-]|[eE].*$', ''), '.', 1) || rpad(split_part(regexp_replace(_sl_s4_18, '^[+-]|[eE].*$', ''), '.', 2), cast(regexp_replace(_sl_s4_18, '^.*[eE][+]?', '') as integer), '0'), '0'), ''), '0')) as decimal(38,0)) between -9223372036854775808 and 9223372036854775807 else false end
          else false end))
      then 'before-image key column cart_id: value does not fit BIGINT'
    when _sl_s5_19 is not null and not ((case when (_sl_s5_19 ~ '^([+-]?[0-9]+)$')
            then case when length(_sl_s5_19) <= 20 then cast(_sl_s5_19 as decimal(38,0)) between -2147483648 and 2147483647 else false end
          when (_sl_s5_19 ~ '^([+-]?[0-9]{1,20}[.]0*)$')
            then case when length(split_part(_sl_s5_19, '.', 1)) <= 20 then cast(split_part(_sl_s5_19, '.', 1) as decimal(38,0)) between -2147483648 and 2147483647 else false end
          when (_sl_s5_19 ~ '^([+-]?[0-9]{1,20}([.][0-9]{0,20})?[eE][+]?[0-9]{1,2})$')
            then case when (length(rtrim(split_part(regexp_replace(_sl_s5_19, '^[+-]|[eE].*$', ''), '.', 2), '0')) <= cast(regexp_replace(_sl_s5_19, '^.*[eE][+]?', '') as integer)) and length((case when _sl_s5_19 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_s5_19, '^[+-]|[eE].*$', ''), '.', 1) || rpad(split_part(regexp_replace(_sl_s5_19, '^[+-]|[eE].*$', ''), '.', 2), cast(regexp_replace(_sl_s5_19, '^.*[eE][+]?', '') as integer), '0'), '0'), ''), '0'))) <= 20
                      then cast((case when _sl_s5_19 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_s5_19, '^[+-]|[eE].*$', ''), '.', 1) || rpad(split_part(regexp_replace(_sl_s5_19, '^[+-]|[eE].*$', ''), '.', 2), cast(regexp_replace(_sl_s5_19, '^.*[eE][+]?', '') as integer), '0'), '0'), ''), '0')) as decimal(38,0)) between -2147483648 and 2147483647 else false end
          else false end))
      then 'before-image key column line_no: value does not fit INTEGER'
  end
      when record_type = 'control' and table_name in ('cart', 'cart_item') and schema_name = 'public'
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
      when record_type = 'data' and table_name = 'cart' and schema_name = 'public'
        then case when operation = 'delete' then '' else case when _sl_s2_8 is not null and not (octet_length(_sl_s2_8) <= 80) then '|2|' else '' end || case when _sl_s3_9 is not null and not ((case when (_sl_s3_9 ~ '^([+-]?0*[0-9]{0,10}([.][0-9]{0,2}0*)?)$')
            then _sl_s3_9 not in ('', '+', '-', '.', '+.', '-.')
          else false end)) then '|3|' else '' end || case when _sl_s4_10 is not null and not (lower(_sl_s4_10) in ('true', 'false', '1', '0', 't', 'f')) then '|4|' else '' end || case when _sl_s5_11 is not null and not ((case when (_sl_s5_11 ~ '^(([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[ T](([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?|24:00:00)(Z|[+-](0[0-9]|1[0-4])(:?[0-5][0-9])?)?)$') then (try_cast(replace(_sl_s5_11, 'T', ' ') as TIMESTAMPTZ) is not null) else false end)) then '|5|' else '' end || case when _sl_s6_12 is not null and not (can_json_parse(_sl_s6_12)) then '|6|' else '' end || case when _sl_s7_13 is not null and not (((_sl_s7_13 ~ '^((0x)?([0-9a-fA-F]{2})*)$') and length(regexp_replace(_sl_s7_13, '^0x', '')) <= 2048000)) then '|7|' else '' end end
      when record_type = 'data' and table_name = 'cart_item' and schema_name = 'public'
        then case when operation = 'delete' then '' else case when _sl_s3_17 is not null and not (octet_length(_sl_s3_17) <= 65535) then '|10|' else '' end end
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
  where _sl_numbers.n between 1 and 10
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
    when 2 then 'column status: value does not fit VARCHAR(80); adjusted: ' || 'cut to 80 bytes'
    when 3 then 'column total: value does not fit DECIMAL(12,2); adjusted: ' || case when (case
    when not (case when (_sl_s3_9 ~ '^([+-]?0*[0-9]{0,10}([.][0-9]*)?)$')
          then (_sl_s3_9 ~ '^([+-]?[.]?[0-9].*)$')
        when (_sl_s3_9 ~ '^([+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)[eE][+-]?[0-9]{1,3})$')
          then case when (case when (_sl_s3_9 ~ '^(.*[0-9nN].*)$') then try_cast(_sl_s3_9 as DOUBLE PRECISION) is not null else false end) then abs(cast(_sl_s3_9 as double precision)) < 1e10 - 1 else false end
        else false end) then cast(null as DECIMAL(12,2))
    when (_sl_s3_9 ~ '^(.*[eE].*)$') then cast(cast(_sl_s3_9 as double precision) as DECIMAL(12,2))
    when substr(split_part(regexp_replace(_sl_s3_9, '^[+-]', ''), '.', 2), 3, 1) < '5' then cast(case when _sl_s3_9 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_s3_9, '^[+-]', ''), '.', 1), '0'), ''), '0') || '.' || rpad(substr(split_part(regexp_replace(_sl_s3_9, '^[+-]', ''), '.', 2), 1, 2), 2, '0') as DECIMAL(12,2))
    when abs(cast(case when _sl_s3_9 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_s3_9, '^[+-]', ''), '.', 1), '0'), ''), '0') || '.' || rpad(substr(split_part(regexp_replace(_sl_s3_9, '^[+-]', ''), '.', 2), 1, 2), 2, '0') as DECIMAL(12,2))) >= cast('9999999999.99' as DECIMAL(12,2)) then cast(null as DECIMAL(12,2))
    when _sl_s3_9 like '-%' then cast(cast(case when _sl_s3_9 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_s3_9, '^[+-]', ''), '.', 1), '0'), ''), '0') || '.' || rpad(substr(split_part(regexp_replace(_sl_s3_9, '^[+-]', ''), '.', 2), 1, 2), 2, '0') as DECIMAL(12,2)) - cast('0.01' as DECIMAL(12,2)) as DECIMAL(12,2))
    else cast(cast(case when _sl_s3_9 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_s3_9, '^[+-]', ''), '.', 1), '0'), ''), '0') || '.' || rpad(substr(split_part(regexp_replace(_sl_s3_9, '^[+-]', ''), '.', 2), 1, 2), 2, '0') as DECIMAL(12,2)) + cast('0.01' as DECIMAL(12,2)) as DECIMAL(12,2))
  end) is null then 'set to NULL'
         else 'rounded to 2 decimals' end
    when 4 then 'column paid: value does not fit BOOLEAN; adjusted: ' || 'set to NULL'
    when 5 then 'column created_at: value does not fit TIMESTAMPTZ; adjusted: ' || 'set to NULL'
    when 6 then 'column attrs: value does not fit SUPER; adjusted: ' || 'set to NULL'
    when 7 then 'column receipt: value does not fit VARBYTE(1024000); adjusted: ' || case when (case when (_sl_s7_13 ~ '^((0x)?([0-9a-fA-F]{2})*)$') then to_varbyte(substr(regexp_replace(_sl_s7_13, '^0x', ''), 1, 2048000), 'hex') end) is null then 'set to NULL'
         else 'cut to 1024000 bytes' end
    when 10 then 'column sku: value does not fit VARCHAR(65535); adjusted: ' || 'cut to 65535 bytes'
  end as varchar(1024)),
  cast(case _sl_column
    when 2 then 'status'
    when 3 then 'total'
    when 4 then 'paid'
    when 5 then 'created_at'
    when 6 then 'attrs'
    when 7 then 'receipt'
    when 10 then 'sku'
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
