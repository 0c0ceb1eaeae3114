create table if not exists "dev"."analytics"."cart__streamleap_tombstones" (
  "id" BIGINT,
  _streamleap_order varchar(256),
  _streamleap_commit_ts timestamp,
  _streamleap_synced_at timestamp
)
diststyle key distkey ("id") compound sortkey ("id");
create table if not exists "dev"."analytics"."streamleap_truncates" (
  relation_name varchar(1024),
  truncated_order varchar(256),
  truncated_at timestamp,
  synced_at timestamp
);
begin;
lock "dev"."analytics"."streamleap_state";

update "dev"."analytics"."streamleap_state"
set watermark = coalesce((select max(_streamleap_synced_at) from "cart__dbt_tmp"), watermark),
    updated_at = getdate()
where relation_name = 'dev.analytics.cart';
delete from "cart__dbt_tmp" where _streamleap_op = 'watermark';
delete from "cart__dbt_tmp" using "dev"."analytics"."cart"
where "cart__dbt_tmp"."id" = "cart"."id" and "cart__dbt_tmp"._streamleap_order <= "cart"._streamleap_order;
delete from "cart__dbt_tmp" using "dev"."analytics"."cart__streamleap_tombstones"
where "cart__dbt_tmp"."id" = "cart__streamleap_tombstones"."id" and "cart__dbt_tmp"._streamleap_order <= "cart__streamleap_tombstones"._streamleap_order;
delete from "cart__dbt_tmp" using "dev"."analytics"."streamleap_truncates"
where "streamleap_truncates".relation_name = 'dev.analytics.cart'
  and "cart__dbt_tmp"._streamleap_order <= "streamleap_truncates".truncated_order
  and not ("cart__dbt_tmp"._streamleap_op = 'load' and "cart__dbt_tmp"._streamleap_commit_ts > "streamleap_truncates".truncated_at);
update "dev"."analytics"."streamleap_state"
set applied_rows = (select count(*) from "cart__dbt_tmp" where _streamleap_op in ('load', 'insert', 'update', 'delete')),
    newest_commit_ts = coalesce((select max(_streamleap_commit_ts) from "cart__dbt_tmp" where _streamleap_op in ('load', 'insert', 'update', 'delete')), newest_commit_ts)
where relation_name = 'dev.analytics.cart';
delete from "dev"."analytics"."cart" using "cart__dbt_tmp"
where "cart"."id" = "cart__dbt_tmp"."id";
insert into "dev"."analytics"."cart" ("id", "status", "total", "paid", "created_at", "attrs", "receipt", "_streamleap_op", "_streamleap_order", "_streamleap_commit_ts", "_streamleap_synced_at")
select "id", "status", "total", "paid", "created_at", "attrs", "receipt", "_streamleap_op", "_streamleap_order", "_streamleap_commit_ts", "_streamleap_synced_at"
from "cart__dbt_tmp" where _streamleap_op not in ('delete', 'truncate');
delete from "dev"."analytics"."cart__streamleap_tombstones" using "cart__dbt_tmp"
where "cart__streamleap_tombstones"."id" = "cart__dbt_tmp"."id";
insert into "dev"."analytics"."cart__streamleap_tombstones" ("id", _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at)
select "id", _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at
from "cart__dbt_tmp" where _streamleap_op = 'delete';

delete from "dev"."analytics"."cart" where _streamleap_order < (select max(_streamleap_order) from "cart__dbt_tmp" where _streamleap_op = 'truncate')
  and not (_streamleap_op = 'load' and _streamleap_commit_ts > (select max(_streamleap_commit_ts) from "cart__dbt_tmp" where _streamleap_op = 'truncate'));
delete from "dev"."analytics"."cart__streamleap_tombstones" where _streamleap_order < (select max(_streamleap_order) from "cart__dbt_tmp" where _streamleap_op = 'truncate');
delete from "dev"."analytics"."streamleap_truncates" where relation_name = 'dev.analytics.cart' and exists (select 1 from "cart__dbt_tmp" where _streamleap_op = 'truncate');
insert into "dev"."analytics"."streamleap_truncates" (relation_name, truncated_order, truncated_at, synced_at)
select 'dev.analytics.cart', _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at from "cart__dbt_tmp"
where _streamleap_op = 'truncate' and _streamleap_order = (select max(_streamleap_order) from "cart__dbt_tmp" where _streamleap_op = 'truncate');
commit
