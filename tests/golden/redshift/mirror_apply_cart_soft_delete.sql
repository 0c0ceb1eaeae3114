create table if not exists "dev"."analytics"."streamleap_state" (
  relation_name varchar(1024),
  watermark timestamp,
  fingerprint varchar(4096),
  updated_at timestamp,
  applied_rows bigint,
  newest_commit_ts timestamp
);
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

insert into "dev"."analytics"."streamleap_state" (relation_name, watermark, fingerprint, updated_at)
select 'dev.analytics.cart', cast(null as timestamp), cast(null as varchar(4096)), getdate()
where not exists (select 1 from "dev"."analytics"."streamleap_state" where relation_name = 'dev.analytics.cart');
update "dev"."analytics"."streamleap_state"
set watermark = coalesce((select max(_streamleap_synced_at) from "cart__dbt_tmp"), watermark),
    updated_at = getdate()
where relation_name = 'dev.analytics.cart';
delete from "cart__dbt_tmp" where _streamleap_op = 'watermark';
update "cart__dbt_tmp" set _streamleap_op = 'values'
from "dev"."analytics"."cart"
where "cart__dbt_tmp"."id" = "cart"."id" and coalesce("cart"._streamleap_deleted, false)
  and "cart__dbt_tmp"._streamleap_op not in ('delete', 'truncate')
  and "cart__dbt_tmp"._streamleap_order < "cart"._streamleap_order
  and "cart__dbt_tmp"._streamleap_order > coalesce("cart"._streamleap_values_order, '');
delete from "cart__dbt_tmp" using "dev"."analytics"."cart"
where "cart__dbt_tmp"."id" = "cart"."id" and "cart__dbt_tmp"._streamleap_order <= "cart"._streamleap_order and "cart__dbt_tmp"._streamleap_op <> 'values';
delete from "cart__dbt_tmp" using "dev"."analytics"."cart__streamleap_tombstones"
where "cart__dbt_tmp"."id" = "cart__streamleap_tombstones"."id" and "cart__dbt_tmp"._streamleap_order <= "cart__streamleap_tombstones"._streamleap_order;
insert into "cart__dbt_tmp" ("id", _streamleap_op, _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at,
  _streamleap_deleted, _streamleap_deleted_at, _streamleap_values_order)
select _sl_cut."id", 'delete', _sl_t.truncated_order, _sl_t.truncated_at, _sl_cut._streamleap_synced_at,
  true, _sl_t.truncated_at, cast(null as varchar(256))
from (
  select _sl_b."id", _sl_b._streamleap_synced_at, min(_sl_all.truncated_order) as _sl_first
  from "cart__dbt_tmp" _sl_b
  join (
    select "id", max(_streamleap_order) as _sl_newest from "cart__dbt_tmp"
    where _streamleap_op not in ('truncate', 'watermark') group by "id"
  ) _sl_n on _sl_n."id" = _sl_b."id" and _sl_b._streamleap_order = _sl_n._sl_newest
  join (
    select truncated_order, truncated_at from "dev"."analytics"."streamleap_truncates" where relation_name = 'dev.analytics.cart'
    union all
    select _streamleap_order, _streamleap_commit_ts from "cart__dbt_tmp" where _streamleap_op = 'truncate'
  ) _sl_all on _sl_all.truncated_order > _sl_b._streamleap_order
    and not (_sl_b._streamleap_op = 'load' and _sl_b._streamleap_commit_ts > _sl_all.truncated_at)
  where _sl_b._streamleap_op not in ('delete', 'truncate', 'watermark', 'values')
    and _sl_b._streamleap_order <= (select max(truncated_order) from "dev"."analytics"."streamleap_truncates" where relation_name = 'dev.analytics.cart')
  group by _sl_b."id", _sl_b._streamleap_synced_at
) _sl_cut
join (
  select truncated_order, max(truncated_at) as truncated_at from (
    select truncated_order, truncated_at from "dev"."analytics"."streamleap_truncates" where relation_name = 'dev.analytics.cart'
    union all
    select _streamleap_order, _streamleap_commit_ts from "cart__dbt_tmp" where _streamleap_op = 'truncate'
  ) _sl_u group by truncated_order
) _sl_t on _sl_t.truncated_order = _sl_cut._sl_first;
update "dev"."analytics"."streamleap_state"
set applied_rows = (select count(*) from "cart__dbt_tmp" where _streamleap_op in ('load', 'insert', 'update', 'delete')),
    newest_commit_ts = coalesce((select max(_streamleap_commit_ts) from "cart__dbt_tmp" where _streamleap_op in ('load', 'insert', 'update', 'delete')), newest_commit_ts)
where relation_name = 'dev.analytics.cart';

update "dev"."analytics"."cart"
set "status" = "cart__dbt_tmp"."status", "total" = "cart__dbt_tmp"."total", "paid" = "cart__dbt_tmp"."paid", "created_at" = "cart__dbt_tmp"."created_at", "attrs" = "cart__dbt_tmp"."attrs", "receipt" = "cart__dbt_tmp"."receipt", _streamleap_values_order = "cart__dbt_tmp"._streamleap_order
from "cart__dbt_tmp"
where "cart"."id" = "cart__dbt_tmp"."id" and "cart__dbt_tmp"._streamleap_op = 'values';
delete from "dev"."analytics"."cart" using "cart__dbt_tmp"
where "cart"."id" = "cart__dbt_tmp"."id" and "cart__dbt_tmp"._streamleap_op not in ('delete', 'values');
insert into "dev"."analytics"."cart" ("id", "status", "total", "paid", "created_at", "attrs", "receipt", "_streamleap_op", "_streamleap_order", "_streamleap_commit_ts", "_streamleap_synced_at", "_streamleap_deleted", "_streamleap_deleted_at", "_streamleap_values_order")
select "id", "status", "total", "paid", "created_at", "attrs", "receipt", "_streamleap_op", "_streamleap_order", "_streamleap_commit_ts", "_streamleap_synced_at", "_streamleap_deleted", "_streamleap_deleted_at", "_streamleap_values_order"
from "cart__dbt_tmp" where _streamleap_op not in ('delete', 'truncate', 'values');
update "dev"."analytics"."cart"
set _streamleap_op = "cart__dbt_tmp"._streamleap_op, _streamleap_order = "cart__dbt_tmp"._streamleap_order,
    _streamleap_commit_ts = "cart__dbt_tmp"._streamleap_commit_ts, _streamleap_synced_at = "cart__dbt_tmp"._streamleap_synced_at,
    _streamleap_deleted = true, _streamleap_deleted_at = "cart__dbt_tmp"._streamleap_commit_ts
from "cart__dbt_tmp"
where "cart"."id" = "cart__dbt_tmp"."id" and "cart__dbt_tmp"._streamleap_op = 'delete';
insert into "dev"."analytics"."cart" ("id", "status", "total", "paid", "created_at", "attrs", "receipt", "_streamleap_op", "_streamleap_order", "_streamleap_commit_ts", "_streamleap_synced_at", "_streamleap_deleted", "_streamleap_deleted_at", "_streamleap_values_order")
select "cart__dbt_tmp"."id", "cart__dbt_tmp"."status", "cart__dbt_tmp"."total", "cart__dbt_tmp"."paid", "cart__dbt_tmp"."created_at", "cart__dbt_tmp"."attrs", "cart__dbt_tmp"."receipt", "cart__dbt_tmp"."_streamleap_op", "cart__dbt_tmp"."_streamleap_order", "cart__dbt_tmp"."_streamleap_commit_ts", "cart__dbt_tmp"."_streamleap_synced_at", "cart__dbt_tmp"."_streamleap_deleted", "cart__dbt_tmp"."_streamleap_deleted_at", "cart__dbt_tmp"."_streamleap_values_order"
from "cart__dbt_tmp"
left join "dev"."analytics"."cart" on "cart__dbt_tmp"."id" = "cart"."id"
where "cart__dbt_tmp"._streamleap_op = 'delete' and "cart"."id" is null;

update "dev"."analytics"."cart"
set _streamleap_op = 'delete', _streamleap_order = _sl_truncates._streamleap_order, _streamleap_commit_ts = _sl_truncates._streamleap_commit_ts,
    _streamleap_synced_at = _sl_truncates._streamleap_synced_at, _streamleap_deleted = true,
    _streamleap_deleted_at = _sl_truncates._streamleap_commit_ts
from (
  select _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at,
    lag(_streamleap_order) over (order by _streamleap_order) as _sl_previous
  from "cart__dbt_tmp" where _streamleap_op = 'truncate'
) _sl_truncates
where "cart"._streamleap_order < _sl_truncates._streamleap_order
  and (_sl_truncates._sl_previous is null or "cart"._streamleap_order > _sl_truncates._sl_previous)
  and not coalesce("cart"._streamleap_deleted, false)
  and not ("cart"._streamleap_op = 'load' and "cart"._streamleap_commit_ts > _sl_truncates._streamleap_commit_ts);
insert into "dev"."analytics"."streamleap_truncates" (relation_name, truncated_order, truncated_at, synced_at)
select distinct 'dev.analytics.cart', _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at from "cart__dbt_tmp" _sl_b
where _sl_b._streamleap_op = 'truncate'
  and not exists (select 1 from "dev"."analytics"."streamleap_truncates" where "streamleap_truncates".relation_name = 'dev.analytics.cart'
                  and "streamleap_truncates".truncated_order = _sl_b._streamleap_order);
update "dev"."analytics"."streamleap_state" set fingerprint = 'mirror:1ae8788cb46fb69fd73eb01e5c9c86f1'
where relation_name = 'dev.analytics.cart';
commit
