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
delete from "cart__dbt_tmp" using "dev"."analytics"."cart"
where "cart__dbt_tmp"."id" = "cart"."id" and "cart__dbt_tmp"._streamleap_order = "cart"._streamleap_order
  and "cart__dbt_tmp"._streamleap_op not in ('delete', 'truncate');
delete from "cart__dbt_tmp" using "dev"."analytics"."cart__streamleap_tombstones"
where "cart__dbt_tmp"."id" = "cart__streamleap_tombstones"."id" and "cart__dbt_tmp"._streamleap_order = "cart__streamleap_tombstones"._streamleap_order
  and "cart__dbt_tmp"._streamleap_op = 'delete';
update "dev"."analytics"."streamleap_state"
set applied_rows = (select count(*) from "cart__dbt_tmp" where _streamleap_op in ('load', 'insert', 'update', 'delete')),
    newest_commit_ts = coalesce((select max(_streamleap_commit_ts) from "cart__dbt_tmp" where _streamleap_op in ('load', 'insert', 'update', 'delete')), newest_commit_ts)
where relation_name = 'dev.analytics.cart';
insert into "dev"."analytics"."cart__streamleap_tombstones" ("id", _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at)
select "id", _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at
from "cart__dbt_tmp" where _streamleap_op = 'delete';
insert into "dev"."analytics"."cart" ("id", "status", "total", "paid", "created_at", "attrs", "receipt", _streamleap_op, _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at,
  "dbt_valid_from", "dbt_valid_to", "dbt_scd_id", "dbt_updated_at", "dbt_is_deleted", "_streamleap_is_current", "_streamleap_to_order")
select "cart__dbt_tmp"."id", "cart__dbt_tmp"."status", "cart__dbt_tmp"."total", "cart__dbt_tmp"."paid", "cart__dbt_tmp"."created_at", "cart__dbt_tmp"."attrs", "cart__dbt_tmp"."receipt", "cart__dbt_tmp"._streamleap_op, "cart__dbt_tmp"._streamleap_order, "cart__dbt_tmp"._streamleap_commit_ts, "cart__dbt_tmp"._streamleap_synced_at,
  "cart__dbt_tmp"._streamleap_commit_ts, cast(null as timestamp), md5(cast(length(cast("cart__dbt_tmp"."id" as varchar(65535))) as varchar(20)) || ':' || cast("cart__dbt_tmp"."id" as varchar(65535)) || '|' || "cart__dbt_tmp"._streamleap_order), "cart__dbt_tmp"._streamleap_commit_ts,
  false, true, cast(null as varchar(256))
from "cart__dbt_tmp" where "cart__dbt_tmp"._streamleap_op not in ('delete', 'truncate');
update "dev"."analytics"."cart"
set "dbt_valid_to" = _sl_next._sl_next_ts, "dbt_is_deleted" = _sl_next._sl_next_deletes, "_streamleap_is_current" = false,
    _streamleap_to_order = _sl_next._sl_next_order
from (
  select "id", _sl_o, _sl_next_order, _sl_next_ts, _sl_next_deletes from (
    select "id", _sl_o, _sl_version,
      lead(_sl_o) over (partition by "id" order by _sl_o) as _sl_next_order,
      lead(_sl_ts) over (partition by "id" order by _sl_o) as _sl_next_ts,
      lead(_sl_deletes) over (partition by "id" order by _sl_o) as _sl_next_deletes
    from (
      select "cart"."id", "cart"._streamleap_order as _sl_o, "cart"."dbt_valid_from" as _sl_ts,
        true as _sl_version, false as _sl_deletes
      from "dev"."analytics"."cart"
      join (select distinct "id" from "cart__dbt_tmp" where _streamleap_op <> 'truncate') _sl_keys
        on "cart"."id" = _sl_keys."id"
      union all
      select "cart__streamleap_tombstones"."id", "cart__streamleap_tombstones"._streamleap_order, "cart__streamleap_tombstones"._streamleap_commit_ts, false, true
      from "dev"."analytics"."cart__streamleap_tombstones"
      join (select distinct "id" from "cart__dbt_tmp" where _streamleap_op <> 'truncate') _sl_keys
        on "cart__streamleap_tombstones"."id" = _sl_keys."id"
    ) _sl_events
  ) _sl_ordered
  where _sl_version and _sl_next_order is not null
) _sl_next
where "cart"."id" = _sl_next."id" and "cart"._streamleap_order = _sl_next._sl_o
  and ("cart"._streamleap_to_order is null or _sl_next._sl_next_order < "cart"._streamleap_to_order
       or (not _sl_next._sl_next_deletes and "cart"."dbt_is_deleted"
           and substring(_sl_next._sl_next_order, 1, 21) = substring("cart"._streamleap_to_order, 1, 21)));
update "dev"."analytics"."cart"
set "dbt_valid_to" = _sl_cut.truncated_at, "dbt_is_deleted" = true, "_streamleap_is_current" = false,
    _streamleap_to_order = _sl_cut.truncated_order
from (
  select _sl_v."id", _sl_v._streamleap_order as _sl_o, min(_sl_t.truncated_order) as _sl_first
  from "dev"."analytics"."cart" _sl_v
  join "cart__dbt_tmp" _sl_b on _sl_b."id" = _sl_v."id" and _sl_b._streamleap_order = _sl_v._streamleap_order
    and _sl_b._streamleap_op not in ('delete', 'truncate')
  join "dev"."analytics"."streamleap_truncates" _sl_t on _sl_t.relation_name = 'dev.analytics.cart'
    and _sl_t.truncated_order > _sl_v._streamleap_order
    and not (_sl_v._streamleap_op = 'load' and _sl_v."dbt_valid_from" > _sl_t.truncated_at)
  group by _sl_v."id", _sl_v._streamleap_order
) _sl_first
join (select distinct truncated_order, truncated_at from "dev"."analytics"."streamleap_truncates" where relation_name = 'dev.analytics.cart') _sl_cut on _sl_cut.truncated_order = _sl_first._sl_first
where "cart"."id" = _sl_first."id" and "cart"._streamleap_order = _sl_first._sl_o
  and ("cart"._streamleap_to_order is null
       or (_sl_first._sl_first < "cart"._streamleap_to_order
           and (substring(_sl_first._sl_first, 1, 21) <> substring("cart"._streamleap_to_order, 1, 21) or "cart"."dbt_is_deleted")));
insert into "dev"."analytics"."streamleap_truncates" (relation_name, truncated_order, truncated_at, synced_at)
select distinct 'dev.analytics.cart', _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at from "cart__dbt_tmp" _sl_b
where _sl_b._streamleap_op = 'truncate'
  and not exists (select 1 from "dev"."analytics"."streamleap_truncates" where "streamleap_truncates".relation_name = 'dev.analytics.cart' and "streamleap_truncates".truncated_order = _sl_b._streamleap_order);
update "dev"."analytics"."cart"
set "dbt_valid_to" = _sl_cut.truncated_at, "dbt_is_deleted" = true, "_streamleap_is_current" = false,
    _streamleap_to_order = _sl_cut.truncated_order
from (
  select _sl_v."id", _sl_v._streamleap_order as _sl_o, min(_sl_t.truncated_order) as _sl_first
  from "dev"."analytics"."cart" _sl_v
  join (select _streamleap_order as truncated_order, _streamleap_commit_ts as truncated_at from "cart__dbt_tmp" where _streamleap_op = 'truncate') _sl_t on 1 = 1
    and _sl_t.truncated_order > _sl_v._streamleap_order
    and not (_sl_v._streamleap_op = 'load' and _sl_v."dbt_valid_from" > _sl_t.truncated_at)
  group by _sl_v."id", _sl_v._streamleap_order
) _sl_first
join (select distinct truncated_order, truncated_at from "dev"."analytics"."streamleap_truncates" where relation_name = 'dev.analytics.cart') _sl_cut on _sl_cut.truncated_order = _sl_first._sl_first
where "cart"."id" = _sl_first."id" and "cart"._streamleap_order = _sl_first._sl_o
  and ("cart"._streamleap_to_order is null
       or (_sl_first._sl_first < "cart"._streamleap_to_order
           and (substring(_sl_first._sl_first, 1, 21) <> substring("cart"._streamleap_to_order, 1, 21) or "cart"."dbt_is_deleted")));
update "dev"."analytics"."streamleap_state" set fingerprint = 'mirror:a0365416ec3c80c9ceb21a968073c147'
where relation_name = 'dev.analytics.cart';
commit
