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
refresh materialized view "dev"."public"."stg_shop_cdc";
select max(refresh_time) from "dev"."public"."stg_shop_cdc" where refresh_time > (select min(coalesce(watermark, cast('1900-01-01 00:00:00' as timestamp))) from (select watermark from "dev"."public"."streamleap_state" where relation_name in (select relation_name from "streamleap_cycle_models" where staging_name = 'dev.public.stg_shop_cdc')) marks);
begin;
lock "dev"."public"."streamleap_state";
create temporary table "streamleap_cycle_batch" as (
select records.*,
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
  end as _sl_metadata_problem,
  true as _sl_rule_ok,
  rpad(substr(coalesce(_sl_commit_text, _sl_ts_text), 1, 4) || substr(coalesce(_sl_commit_text, _sl_ts_text), 6, 2) || substr(coalesce(_sl_commit_text, _sl_ts_text), 9, 2) || substr(coalesce(_sl_commit_text, _sl_ts_text), 12, 2) || substr(coalesce(_sl_commit_text, _sl_ts_text), 15, 2) || substr(coalesce(_sl_commit_text, _sl_ts_text), 18, 2)
       || case when substr(coalesce(_sl_commit_text, _sl_ts_text), 20, 1) = '.' then split_part(translate(substr(coalesce(_sl_commit_text, _sl_ts_text), 21, 13), 'Z+-', '...'), '.', 1) else '' end, 20, '0') as _sl_time_digits
from (
select refresh_time, shard_id, sequence_number, partition_key, payload, raw_data,
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
  from (select refresh_time, shard_id, sequence_number, partition_key, payload, raw_data
        from "dev"."public"."stg_shop_cdc"
        where refresh_time > (select min(coalesce(watermark, cast('1900-01-01 00:00:00' as timestamp))) from (select watermark from "dev"."public"."streamleap_state" where relation_name in (select relation_name from "streamleap_cycle_models" where staging_name = 'dev.public.stg_shop_cdc')) marks)) new_rows
) records
);
select _sl_schema, _sl_table, max(case when _sl_record_type = 'control' and _sl_op = 'truncate-table' then 1 else 0 end)
from "streamleap_cycle_batch"
group by _sl_schema, _sl_table;
drop table if exists "shop_cdc_set_aside__streamleap_kept";
create temporary table "shop_cdc_set_aside__streamleap_kept" as (
select * from (
with new_rows as (
  select refresh_time, shard_id, sequence_number, partition_key, payload, raw_data
  from "streamleap_cycle_batch"
  where refresh_time > coalesce((select max(watermark) from "dev"."public"."streamleap_state" where relation_name = 'dev.public.shop_cdc_set_aside'), cast('1900-01-01 00:00:00' as timestamp)) and not coalesce(((_sl_table = 'Order' and _sl_schema = 'Sales') or (_sl_table in ('cart', 'events', 'events_2024', 'events_2025', 'cart_item') and _sl_schema = 'public') or (_sl_table = 'events_2023' and _sl_schema = 'archive')), false)
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
        else json_serialize(payload."metadata"."transaction-record-id") end) as _sl_trid_text
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
create temporary table "cart__streamleap_checked" as (
with new_rows as (
  select * from "streamleap_cycle_batch"
  where _sl_table = 'cart' and _sl_schema = 'public'
),
parsed as (
select new_rows.*,
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
        else json_serialize(payload."before-image"."id") end) as _sl_b1
  from (select new_rows.* from new_rows) new_rows
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
  from parsed
)
select typed.*,
  case
      when payload is null then case when octet_length(raw_data) > 65535
  then 'not parsed as JSON: not valid JSON, or a string in it is longer than 65,535 bytes, which Redshift parses only with enable_large_strings_opt_in on'
  else 'not valid JSON' end
      when not _sl_rule_ok then 'not valid JSON'
      when _sl_record_type is null then 'no DMS metadata (metadata.record-type is missing)'
      when _sl_record_type not in ('data', 'control') then case when _sl_record_type = 'not-sent' then 'not sent: the row''s change was over the stream''s record size limit, so capture sent this stand-in (its key, its small values, the size and the columns left out); the mirror row stays as it was (missing, after an insert) until the row''s next change'
     else 'unknown metadata.record-type ' || _sl_record_type end
      when _sl_record_type = 'data' and _sl_table is null then 'metadata.table-name is missing'
      when _sl_record_type = 'data' and _sl_table = 'cart' and _sl_schema = 'public'
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
      when _sl_record_type = 'control' and _sl_table = 'cart' and _sl_schema = 'public'
        then case when _sl_op = 'drop-table'
       then 'drop-table: the source table was dropped; the mirror keeps its rows'
     when _sl_op = 'truncate-table' and _sl_commit_text is null
       then 'truncate-table without metadata.commit-timestamp cannot be placed in commit order; the mirror keeps its rows'
     when _sl_op = 'truncate-table' then case
       
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
    when _sl_trid is not null and not (_sl_trid ~ '^([0-9]{1,20})$')
      then 'metadata.transaction-record-id is not a whole number of at most 20 digits'
     end
end
    end as _sl_problem,
  case when _sl_record_type = 'data' then case when _sl_op = 'delete' then '' else case when _sl_t2 is not null and _sl_v2 is null then '|2|' else '' end || case when _sl_t3 is not null and _sl_v3 is null then '|3|' else '' end || case when _sl_t4 is not null and _sl_v4 is null then '|4|' else '' end || case when _sl_t5 is not null and _sl_v5 is null then '|5|' else '' end || case when _sl_t6 is not null and not (can_json_parse(_sl_t6)) then '|6|' else '' end || case when _sl_t7 is not null and not (((_sl_t7 ~ '^((0x)?([0-9a-fA-F]{2})*)$') and length(regexp_replace(_sl_t7, '^0x', '')) <= 2048000)) then '|7|' else '' end end else '' end as _sl_misfits
from typed
);
create temporary table "cart__streamleap_cycle" as (
with new_rows as (
  select * from "cart__streamleap_checked"
  where refresh_time > coalesce((select max(watermark) from "dev"."public"."streamleap_state" where relation_name = 'dev.public.cart'), cast('1900-01-01 00:00:00' as timestamp))
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
    '1' || _sl_truncate_digits || lpad(coalesce(_sl_trid, ''), 20, '0')
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
    case when _sl_v2 is not null then _sl_v2 else cast(from_varbyte(substring(to_varbyte(substr(_sl_t2, 1, 81), 'utf8'), 1, (case when not (substring(to_hex(substring(to_varbyte(substr(_sl_t2, 1, 81), 'utf8'), 81, 1)), 1, 1) in ('8', '9', 'a', 'b', 'A', 'B')) then 80 when not (substring(to_hex(substring(to_varbyte(substr(_sl_t2, 1, 81), 'utf8'), 80, 1)), 1, 1) in ('8', '9', 'a', 'b', 'A', 'B')) then 79 when not (substring(to_hex(substring(to_varbyte(substr(_sl_t2, 1, 81), 'utf8'), 79, 1)), 1, 1) in ('8', '9', 'a', 'b', 'A', 'B')) then 78 else 77 end)), 'utf8') as VARCHAR(80)) end as "status",
    case when _sl_v3 is not null then _sl_v3 else case
    when not (case when (_sl_t3 ~ '^([+-]?0*[0-9]{0,10}([.][0-9]*)?)$')
          then (_sl_t3 ~ '^([+-]?[.]?[0-9].*)$')
        when (_sl_t3 ~ '^([+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)[eE][+-]?[0-9]{1,3})$')
          then case when (case when (_sl_t3 ~ '^(.*[0-9nN].*)$') then try_cast(_sl_t3 as DOUBLE PRECISION) is not null else false end) then abs(cast(_sl_t3 as double precision)) < 1e10 - 1 else false end
        else false end) then cast(null as DECIMAL(12,2))
    when (_sl_t3 ~ '^(.*[eE].*)$') then cast(cast(_sl_t3 as double precision) as DECIMAL(12,2))
    when substr(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 2), 3, 1) < '5' then cast(case when _sl_t3 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 1), '0'), ''), '0') || '.' || rpad(substr(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 2), 1, 2), 2, '0') as DECIMAL(12,2))
    when abs(cast(case when _sl_t3 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 1), '0'), ''), '0') || '.' || rpad(substr(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 2), 1, 2), 2, '0') as DECIMAL(12,2))) >= cast('9999999999.99' as DECIMAL(12,2)) then cast(null as DECIMAL(12,2))
    when _sl_t3 like '-%' then cast(cast(case when _sl_t3 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 1), '0'), ''), '0') || '.' || rpad(substr(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 2), 1, 2), 2, '0') as DECIMAL(12,2)) - cast('0.01' as DECIMAL(12,2)) as DECIMAL(12,2))
    else cast(cast(case when _sl_t3 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 1), '0'), ''), '0') || '.' || rpad(substr(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 2), 1, 2), 2, '0') as DECIMAL(12,2)) + cast('0.01' as DECIMAL(12,2)) as DECIMAL(12,2))
  end end as "total",
    case when _sl_v4 is not null then _sl_v4 else cast(null as BOOLEAN) end as "paid",
    case when _sl_v5 is not null then _sl_v5 else cast(null as TIMESTAMPTZ) end as "created_at",
    case when is_varchar(payload."data"."attrs") then case when can_json_parse(payload."data"."attrs"::varchar) then json_parse(payload."data"."attrs"::varchar) end else payload."data"."attrs" end as "attrs",
    case when ((_sl_t7 ~ '^((0x)?([0-9a-fA-F]{2})*)$') and length(regexp_replace(_sl_t7, '^0x', '')) <= 2048000) then to_varbyte(regexp_replace(_sl_t7, '^0x', ''), 'hex')
  else case when (_sl_t7 ~ '^((0x)?([0-9a-fA-F]{2})*)$') then to_varbyte(substr(regexp_replace(_sl_t7, '^0x', ''), 1, 2048000), 'hex') end end as "receipt",
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
);

insert into "dev"."public"."streamleap_state" (relation_name, watermark, fingerprint, updated_at)
select 'dev.public.cart', cast(null as timestamp), cast(null as varchar(4096)), getdate()
where not exists (select 1 from "dev"."public"."streamleap_state" where relation_name = 'dev.public.cart');
delete from "cart__streamleap_cycle" using "dev"."public"."cart"
where "cart__streamleap_cycle"."id" = "cart"."id" and "cart__streamleap_cycle"._streamleap_order <= "cart"._streamleap_order;
delete from "cart__streamleap_cycle" using "dev"."public"."cart__streamleap_tombstones"
where "cart__streamleap_cycle"."id" = "cart__streamleap_tombstones"."id" and "cart__streamleap_cycle"._streamleap_order <= "cart__streamleap_tombstones"._streamleap_order;
delete from "cart__streamleap_cycle" using "dev"."public"."streamleap_truncates"
where "streamleap_truncates".relation_name = 'dev.public.cart'
  and "cart__streamleap_cycle"._streamleap_order <= "streamleap_truncates".truncated_order
  and not ("cart__streamleap_cycle"._streamleap_op = 'load' and "cart__streamleap_cycle"._streamleap_commit_ts > "streamleap_truncates".truncated_at);
update "dev"."public"."streamleap_state"
set applied_rows = (select count(*) from "cart__streamleap_cycle" where _streamleap_op in ('load', 'insert', 'update', 'delete')),
    newest_commit_ts = coalesce((select max(_streamleap_commit_ts) from "cart__streamleap_cycle" where _streamleap_op in ('load', 'insert', 'update', 'delete')), newest_commit_ts)
where relation_name = 'dev.public.cart';
delete from "dev"."public"."cart" using "cart__streamleap_cycle"
where "cart"."id" = "cart__streamleap_cycle"."id";
insert into "dev"."public"."cart" ("id", "status", "total", "paid", "created_at", "attrs", "receipt", "_streamleap_op", "_streamleap_order", "_streamleap_commit_ts", "_streamleap_synced_at")
select "id", "status", "total", "paid", "created_at", "attrs", "receipt", "_streamleap_op", "_streamleap_order", "_streamleap_commit_ts", "_streamleap_synced_at"
from "cart__streamleap_cycle" where _streamleap_op not in ('delete', 'truncate');
delete from "dev"."public"."cart__streamleap_tombstones" using "cart__streamleap_cycle"
where "cart__streamleap_tombstones"."id" = "cart__streamleap_cycle"."id";
insert into "dev"."public"."cart__streamleap_tombstones" ("id", _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at)
select "id", _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at
from "cart__streamleap_cycle" where _streamleap_op = 'delete';

delete from "dev"."public"."cart" where _streamleap_order < (select max(_streamleap_order) from "cart__streamleap_cycle" where _streamleap_op = 'truncate')
  and not (_streamleap_op = 'load' and _streamleap_commit_ts > (select max(_streamleap_commit_ts) from "cart__streamleap_cycle" where _streamleap_op = 'truncate'));
delete from "dev"."public"."cart__streamleap_tombstones" where _streamleap_order < (select max(_streamleap_order) from "cart__streamleap_cycle" where _streamleap_op = 'truncate');
delete from "dev"."public"."streamleap_truncates" where relation_name = 'dev.public.cart' and exists (select 1 from "cart__streamleap_cycle" where _streamleap_op = 'truncate');
insert into "dev"."public"."streamleap_truncates" (relation_name, truncated_order, truncated_at, synced_at)
select 'dev.public.cart', _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at from "cart__streamleap_cycle"
where _streamleap_op = 'truncate' and _streamleap_order = (select max(_streamleap_order) from "cart__streamleap_cycle" where _streamleap_op = 'truncate');
insert into "shop_cdc_set_aside__streamleap_kept"
select * from (
with judged as (
  select refresh_time, shard_id, sequence_number, partition_key, payload, raw_data,
    _sl_schema as schema_name, _sl_table as table_name, _sl_op as operation, _sl_problem as reason,
    _sl_misfits, _sl_t1, _sl_t2, _sl_t3, _sl_t4, _sl_t5, _sl_t6, _sl_t7,
    max(refresh_time) over () as _streamleap_synced_at
  from "cart__streamleap_checked"
  where refresh_time > coalesce((select max(watermark) from "dev"."public"."streamleap_state" where relation_name = 'dev.public.shop_cdc_set_aside'), cast('1900-01-01 00:00:00' as timestamp))
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
  where _sl_numbers.n between 1 and 7
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
    when not (case when (_sl_t3 ~ '^([+-]?0*[0-9]{0,10}([.][0-9]*)?)$')
          then (_sl_t3 ~ '^([+-]?[.]?[0-9].*)$')
        when (_sl_t3 ~ '^([+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)[eE][+-]?[0-9]{1,3})$')
          then case when (case when (_sl_t3 ~ '^(.*[0-9nN].*)$') then try_cast(_sl_t3 as DOUBLE PRECISION) is not null else false end) then abs(cast(_sl_t3 as double precision)) < 1e10 - 1 else false end
        else false end) then cast(null as DECIMAL(12,2))
    when (_sl_t3 ~ '^(.*[eE].*)$') then cast(cast(_sl_t3 as double precision) as DECIMAL(12,2))
    when substr(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 2), 3, 1) < '5' then cast(case when _sl_t3 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 1), '0'), ''), '0') || '.' || rpad(substr(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 2), 1, 2), 2, '0') as DECIMAL(12,2))
    when abs(cast(case when _sl_t3 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 1), '0'), ''), '0') || '.' || rpad(substr(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 2), 1, 2), 2, '0') as DECIMAL(12,2))) >= cast('9999999999.99' as DECIMAL(12,2)) then cast(null as DECIMAL(12,2))
    when _sl_t3 like '-%' then cast(cast(case when _sl_t3 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 1), '0'), ''), '0') || '.' || rpad(substr(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 2), 1, 2), 2, '0') as DECIMAL(12,2)) - cast('0.01' as DECIMAL(12,2)) as DECIMAL(12,2))
    else cast(cast(case when _sl_t3 like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 1), '0'), ''), '0') || '.' || rpad(substr(split_part(regexp_replace(_sl_t3, '^[+-]', ''), '.', 2), 1, 2), 2, '0') as DECIMAL(12,2)) + cast('0.01' as DECIMAL(12,2)) as DECIMAL(12,2))
  end) is null then 'set to NULL'
         else 'rounded to 2 decimals' end
    when 4 then 'column paid: value does not fit BOOLEAN; adjusted: ' || 'set to NULL'
    when 5 then 'column created_at: value does not fit TIMESTAMPTZ; adjusted: ' || 'set to NULL'
    when 6 then 'column attrs: value does not fit SUPER; adjusted: ' || 'set to NULL'
    when 7 then 'column receipt: value does not fit VARBYTE(1024000); adjusted: ' || case when (case when (_sl_t7 ~ '^((0x)?([0-9a-fA-F]{2})*)$') then to_varbyte(substr(regexp_replace(_sl_t7, '^0x', ''), 1, 2048000), 'hex') end) is null then 'set to NULL'
         else 'cut to 1024000 bytes' end
  end as varchar(1024)),
  cast(case _sl_column
    when 2 then 'status'
    when 3 then 'total'
    when 4 then 'paid'
    when 5 then 'created_at'
    when 6 then 'attrs'
    when 7 then 'receipt'
  end as varchar(256)),
  true,
  coalesce(raw_data, json_serialize_to_varbyte(payload)),
  _streamleap_synced_at
from _sl_adjusted_columns
) judged;
drop table "cart__streamleap_checked";
create temporary table "cart_item__streamleap_checked" as (
with new_rows as (
  select * from "streamleap_cycle_batch"
  where _sl_table = 'cart_item' and _sl_schema = 'public'
),
parsed as (
select new_rows.*,
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
        else json_serialize(payload."before-image"."line_no") end) as _sl_b2
  from (select new_rows.* from new_rows) new_rows
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
  from parsed
)
select typed.*,
  case
      when payload is null then case when octet_length(raw_data) > 65535
  then 'not parsed as JSON: not valid JSON, or a string in it is longer than 65,535 bytes, which Redshift parses only with enable_large_strings_opt_in on'
  else 'not valid JSON' end
      when not _sl_rule_ok then 'not valid JSON'
      when _sl_record_type is null then 'no DMS metadata (metadata.record-type is missing)'
      when _sl_record_type not in ('data', 'control') then case when _sl_record_type = 'not-sent' then 'not sent: the row''s change was over the stream''s record size limit, so capture sent this stand-in (its key, its small values, the size and the columns left out); the mirror row stays as it was (missing, after an insert) until the row''s next change'
     else 'unknown metadata.record-type ' || _sl_record_type end
      when _sl_record_type = 'data' and _sl_table is null then 'metadata.table-name is missing'
      when _sl_record_type = 'data' and _sl_table = 'cart_item' and _sl_schema = 'public'
        then case
    when _sl_metadata_problem is not null
      then _sl_metadata_problem
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
  end
      when _sl_record_type = 'control' and _sl_table = 'cart_item' and _sl_schema = 'public'
        then case when _sl_op = 'drop-table'
       then 'drop-table: the source table was dropped; the mirror keeps its rows'
     when _sl_op = 'truncate-table' and _sl_commit_text is null
       then 'truncate-table without metadata.commit-timestamp cannot be placed in commit order; the mirror keeps its rows'
     when _sl_op = 'truncate-table' then case
       
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
    when _sl_trid is not null and not (_sl_trid ~ '^([0-9]{1,20})$')
      then 'metadata.transaction-record-id is not a whole number of at most 20 digits'
     end
end
    end as _sl_problem,
  case when _sl_record_type = 'data' then case when _sl_op = 'delete' then '' else case when _sl_t3 is not null and _sl_v3 is null then '|3|' else '' end end else '' end as _sl_misfits
from typed
);
create temporary table "cart_item__streamleap_cycle" as (
with new_rows as (
  select * from "cart_item__streamleap_checked"
  where refresh_time > coalesce((select max(watermark) from "dev"."public"."streamleap_state" where relation_name = 'dev.public.cart_item'), cast('1900-01-01 00:00:00' as timestamp))
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
    '1' || _sl_truncate_digits || lpad(coalesce(_sl_trid, ''), 20, '0')
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
);

insert into "dev"."public"."streamleap_state" (relation_name, watermark, fingerprint, updated_at)
select 'dev.public.cart_item', cast(null as timestamp), cast(null as varchar(4096)), getdate()
where not exists (select 1 from "dev"."public"."streamleap_state" where relation_name = 'dev.public.cart_item');
delete from "cart_item__streamleap_cycle" using "dev"."public"."cart_item"
where "cart_item__streamleap_cycle"."cart_id" = "cart_item"."cart_id" and "cart_item__streamleap_cycle"."line_no" = "cart_item"."line_no" and "cart_item__streamleap_cycle"._streamleap_order <= "cart_item"._streamleap_order;
delete from "cart_item__streamleap_cycle" using "dev"."public"."cart_item__streamleap_tombstones"
where "cart_item__streamleap_cycle"."cart_id" = "cart_item__streamleap_tombstones"."cart_id" and "cart_item__streamleap_cycle"."line_no" = "cart_item__streamleap_tombstones"."line_no" and "cart_item__streamleap_cycle"._streamleap_order <= "cart_item__streamleap_tombstones"._streamleap_order;
delete from "cart_item__streamleap_cycle" using "dev"."public"."streamleap_truncates"
where "streamleap_truncates".relation_name = 'dev.public.cart_item'
  and "cart_item__streamleap_cycle"._streamleap_order <= "streamleap_truncates".truncated_order
  and not ("cart_item__streamleap_cycle"._streamleap_op = 'load' and "cart_item__streamleap_cycle"._streamleap_commit_ts > "streamleap_truncates".truncated_at);
update "dev"."public"."streamleap_state"
set applied_rows = (select count(*) from "cart_item__streamleap_cycle" where _streamleap_op in ('load', 'insert', 'update', 'delete')),
    newest_commit_ts = coalesce((select max(_streamleap_commit_ts) from "cart_item__streamleap_cycle" where _streamleap_op in ('load', 'insert', 'update', 'delete')), newest_commit_ts)
where relation_name = 'dev.public.cart_item';
delete from "dev"."public"."cart_item" using "cart_item__streamleap_cycle"
where "cart_item"."cart_id" = "cart_item__streamleap_cycle"."cart_id" and "cart_item"."line_no" = "cart_item__streamleap_cycle"."line_no";
insert into "dev"."public"."cart_item" ("cart_id", "line_no", "sku", "_streamleap_op", "_streamleap_order", "_streamleap_commit_ts", "_streamleap_synced_at")
select "cart_id", "line_no", "sku", "_streamleap_op", "_streamleap_order", "_streamleap_commit_ts", "_streamleap_synced_at"
from "cart_item__streamleap_cycle" where _streamleap_op not in ('delete', 'truncate');
delete from "dev"."public"."cart_item__streamleap_tombstones" using "cart_item__streamleap_cycle"
where "cart_item__streamleap_tombstones"."cart_id" = "cart_item__streamleap_cycle"."cart_id" and "cart_item__streamleap_tombstones"."line_no" = "cart_item__streamleap_cycle"."line_no";
insert into "dev"."public"."cart_item__streamleap_tombstones" ("cart_id", "line_no", _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at)
select "cart_id", "line_no", _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at
from "cart_item__streamleap_cycle" where _streamleap_op = 'delete';

delete from "dev"."public"."cart_item" where _streamleap_order < (select max(_streamleap_order) from "cart_item__streamleap_cycle" where _streamleap_op = 'truncate')
  and not (_streamleap_op = 'load' and _streamleap_commit_ts > (select max(_streamleap_commit_ts) from "cart_item__streamleap_cycle" where _streamleap_op = 'truncate'));
delete from "dev"."public"."cart_item__streamleap_tombstones" where _streamleap_order < (select max(_streamleap_order) from "cart_item__streamleap_cycle" where _streamleap_op = 'truncate');
delete from "dev"."public"."streamleap_truncates" where relation_name = 'dev.public.cart_item' and exists (select 1 from "cart_item__streamleap_cycle" where _streamleap_op = 'truncate');
insert into "dev"."public"."streamleap_truncates" (relation_name, truncated_order, truncated_at, synced_at)
select 'dev.public.cart_item', _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at from "cart_item__streamleap_cycle"
where _streamleap_op = 'truncate' and _streamleap_order = (select max(_streamleap_order) from "cart_item__streamleap_cycle" where _streamleap_op = 'truncate');
insert into "shop_cdc_set_aside__streamleap_kept"
select * from (
with judged as (
  select refresh_time, shard_id, sequence_number, partition_key, payload, raw_data,
    _sl_schema as schema_name, _sl_table as table_name, _sl_op as operation, _sl_problem as reason,
    _sl_misfits, _sl_t1, _sl_t2, _sl_t3,
    max(refresh_time) over () as _streamleap_synced_at
  from "cart_item__streamleap_checked"
  where refresh_time > coalesce((select max(watermark) from "dev"."public"."streamleap_state" where relation_name = 'dev.public.shop_cdc_set_aside'), cast('1900-01-01 00:00:00' as timestamp))
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
    when 3 then 'column sku: value does not fit VARCHAR(65535); adjusted: ' || 'cut to 65535 bytes'
  end as varchar(1024)),
  cast(case _sl_column
    when 3 then 'sku'
  end as varchar(256)),
  true,
  coalesce(raw_data, json_serialize_to_varbyte(payload)),
  _streamleap_synced_at
from _sl_adjusted_columns
) judged;
drop table "cart_item__streamleap_checked";
insert into "dev"."public"."shop_cdc_set_aside" (refresh_time, shard_id, sequence_number, partition_key, schema_name, table_name, operation, reason, column_name, adjusted, raw_data, _streamleap_synced_at)
select refresh_time, shard_id, sequence_number, partition_key, schema_name, table_name, operation, reason, column_name, adjusted, raw_data, _streamleap_synced_at from "shop_cdc_set_aside__streamleap_kept";
update "dev"."public"."streamleap_state"
set applied_rows = (select count(*) from "shop_cdc_set_aside__streamleap_kept" where adjusted = false)
where relation_name = 'dev.public.shop_cdc_set_aside';
drop table "shop_cdc_set_aside__streamleap_kept";
drop table "cart__streamleap_cycle";
drop table "cart_item__streamleap_cycle";
update "dev"."public"."streamleap_state"
set watermark = (select max(refresh_time) from "streamleap_cycle_batch"), updated_at = getdate()
where relation_name in (select relation_name from "streamleap_cycle_models" where staging_name = 'dev.public.stg_shop_cdc')
  and (watermark is null or watermark < (select max(refresh_time) from "streamleap_cycle_batch"));
drop table "streamleap_cycle_batch";
commit
