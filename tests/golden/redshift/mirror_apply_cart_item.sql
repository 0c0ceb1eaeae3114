create table if not exists "dev"."analytics"."streamleap_state" (
  relation_name varchar(1024),
  watermark timestamp,
  fingerprint varchar(4096),
  updated_at timestamp,
  applied_rows bigint,
  newest_commit_ts timestamp
);
create table if not exists "dev"."analytics"."cart_item__streamleap_tombstones" (
  "cart_id" BIGINT,
  "line_no" INTEGER,
  _streamleap_order varchar(256),
  _streamleap_commit_ts timestamp,
  _streamleap_synced_at timestamp
)
diststyle key distkey ("cart_id") compound sortkey ("cart_id", "line_no");
create table if not exists "dev"."analytics"."streamleap_truncates" (
  relation_name varchar(1024),
  truncated_order varchar(256),
  truncated_at timestamp,
  synced_at timestamp
);
begin;
lock "dev"."analytics"."streamleap_state";

insert into "dev"."analytics"."streamleap_state" (relation_name, watermark, fingerprint, updated_at)
select 'dev.analytics.cart_item', cast(null as timestamp), cast(null as varchar(4096)), getdate()
where not exists (select 1 from "dev"."analytics"."streamleap_state" where relation_name = 'dev.analytics.cart_item');
update "dev"."analytics"."streamleap_state"
set watermark = coalesce((select max(_streamleap_synced_at) from "cart_item__dbt_tmp"), watermark),
    updated_at = getdate()
where relation_name = 'dev.analytics.cart_item';
delete from "cart_item__dbt_tmp" where _streamleap_op = 'watermark';
delete from "cart_item__dbt_tmp" using "dev"."analytics"."cart_item"
where "cart_item__dbt_tmp"."cart_id" = "cart_item"."cart_id" and "cart_item__dbt_tmp"."line_no" = "cart_item"."line_no" and "cart_item__dbt_tmp"._streamleap_order <= "cart_item"._streamleap_order;
delete from "cart_item__dbt_tmp" using "dev"."analytics"."cart_item__streamleap_tombstones"
where "cart_item__dbt_tmp"."cart_id" = "cart_item__streamleap_tombstones"."cart_id" and "cart_item__dbt_tmp"."line_no" = "cart_item__streamleap_tombstones"."line_no" and "cart_item__dbt_tmp"._streamleap_order <= "cart_item__streamleap_tombstones"._streamleap_order;
delete from "cart_item__dbt_tmp" using "dev"."analytics"."streamleap_truncates"
where "streamleap_truncates".relation_name = 'dev.analytics.cart_item'
  and "cart_item__dbt_tmp"._streamleap_order <= "streamleap_truncates".truncated_order
  and not ("cart_item__dbt_tmp"._streamleap_op = 'load' and "cart_item__dbt_tmp"._streamleap_commit_ts > "streamleap_truncates".truncated_at);
update "dev"."analytics"."streamleap_state"
set applied_rows = (select count(*) from "cart_item__dbt_tmp" where _streamleap_op in ('load', 'insert', 'update', 'delete')),
    newest_commit_ts = coalesce((select max(_streamleap_commit_ts) from "cart_item__dbt_tmp" where _streamleap_op in ('load', 'insert', 'update', 'delete')), newest_commit_ts)
where relation_name = 'dev.analytics.cart_item';
delete from "dev"."analytics"."cart_item" using "cart_item__dbt_tmp"
where "cart_item"."cart_id" = "cart_item__dbt_tmp"."cart_id" and "cart_item"."line_no" = "cart_item__dbt_tmp"."line_no";
insert into "dev"."analytics"."cart_item" ("cart_id", "line_no", "sku", "_streamleap_op", "_streamleap_order", "_streamleap_commit_ts", "_streamleap_synced_at")
select "cart_id", "line_no", "sku", "_streamleap_op", "_streamleap_order", "_streamleap_commit_ts", "_streamleap_synced_at"
from "cart_item__dbt_tmp" where _streamleap_op not in ('delete', 'truncate');
delete from "dev"."analytics"."cart_item__streamleap_tombstones" using "cart_item__dbt_tmp"
where "cart_item__streamleap_tombstones"."cart_id" = "cart_item__dbt_tmp"."cart_id" and "cart_item__streamleap_tombstones"."line_no" = "cart_item__dbt_tmp"."line_no";
insert into "dev"."analytics"."cart_item__streamleap_tombstones" ("cart_id", "line_no", _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at)
select "cart_id", "line_no", _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at
from "cart_item__dbt_tmp" where _streamleap_op = 'delete';

delete from "dev"."analytics"."cart_item" where _streamleap_order < (select max(_streamleap_order) from "cart_item__dbt_tmp" where _streamleap_op = 'truncate')
  and not (_streamleap_op = 'load' and _streamleap_commit_ts > (select max(_streamleap_commit_ts) from "cart_item__dbt_tmp" where _streamleap_op = 'truncate'));
delete from "dev"."analytics"."cart_item__streamleap_tombstones" where _streamleap_order < (select max(_streamleap_order) from "cart_item__dbt_tmp" where _streamleap_op = 'truncate');
delete from "dev"."analytics"."streamleap_truncates" where relation_name = 'dev.analytics.cart_item' and exists (select 1 from "cart_item__dbt_tmp" where _streamleap_op = 'truncate');
insert into "dev"."analytics"."streamleap_truncates" (relation_name, truncated_order, truncated_at, synced_at)
select 'dev.analytics.cart_item', _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at from "cart_item__dbt_tmp"
where _streamleap_op = 'truncate' and _streamleap_order = (select max(_streamleap_order) from "cart_item__dbt_tmp" where _streamleap_op = 'truncate');
update "dev"."analytics"."streamleap_state" set fingerprint = 'mirror:68aa0a36653cb1b2f9ddd5a137017102'
where relation_name = 'dev.analytics.cart_item';
commit
