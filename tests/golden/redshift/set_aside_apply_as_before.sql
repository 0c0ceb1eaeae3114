create table if not exists "dev"."analytics"."streamleap_state" (
  relation_name varchar(1024),
  watermark timestamp,
  fingerprint varchar(4096),
  updated_at timestamp,
  applied_rows bigint,
  newest_commit_ts timestamp
);
begin;
lock "dev"."analytics"."streamleap_state";
insert into "dev"."analytics"."streamleap_state" (relation_name, watermark, fingerprint, updated_at)
select 'dev.analytics.shop_cdc_set_aside', cast(null as timestamp), cast(null as varchar(4096)), getdate()
where not exists (select 1 from "dev"."analytics"."streamleap_state" where relation_name = 'dev.analytics.shop_cdc_set_aside');
update "dev"."analytics"."streamleap_state"
set watermark = coalesce((select max(_streamleap_synced_at) from "shop_cdc_set_aside__dbt_tmp"), watermark),
    updated_at = getdate()
where relation_name = 'dev.analytics.shop_cdc_set_aside';
update "dev"."analytics"."streamleap_state"
set applied_rows = (select count(*) from "shop_cdc_set_aside__dbt_tmp" where reason is not null and adjusted = false)
where relation_name = 'dev.analytics.shop_cdc_set_aside';
insert into "dev"."analytics"."shop_cdc_set_aside" (refresh_time, shard_id, sequence_number, partition_key, schema_name, table_name, operation, reason, column_name, adjusted, raw_data, _streamleap_synced_at)
select refresh_time, shard_id, sequence_number, partition_key, schema_name, table_name, operation, reason, column_name, adjusted, raw_data, _streamleap_synced_at from "shop_cdc_set_aside__dbt_tmp" where reason is not null;
commit
