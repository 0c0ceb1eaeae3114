create table if not exists "dev"."analytics"."streamleap_state" (
  relation_name varchar(1024),
  watermark timestamp,
  fingerprint varchar(4096),
  updated_at timestamp,
  applied_rows bigint,
  newest_commit_ts timestamp
);create table if not exists "dev"."analytics"."streamleap_truncates" (
  relation_name varchar(1024),
  truncated_order varchar(256),
  truncated_at timestamp,
  synced_at timestamp
);
begin;
lock "dev"."analytics"."streamleap_state";
delete from "dev"."analytics"."streamleap_state" where relation_name = 'dev.analytics.stg_shop_cdc';
insert into "dev"."analytics"."streamleap_state" (relation_name, watermark, fingerprint, updated_at)
values ('dev.analytics.stg_shop_cdc', null, 'sql=abc;backup=True', getdate());
commit
