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
where "cart_item__dbt_tmp"."cart_id" = "cart_item"."cart_id" and "cart_item__dbt_tmp"."line_no" = "cart_item"."line_no" and "cart_item__dbt_tmp"._streamleap_order = "cart_item"._streamleap_order
  and "cart_item__dbt_tmp"._streamleap_op not in ('delete', 'truncate');
delete from "cart_item__dbt_tmp" using "dev"."analytics"."cart_item__streamleap_tombstones"
where "cart_item__dbt_tmp"."cart_id" = "cart_item__streamleap_tombstones"."cart_id" and "cart_item__dbt_tmp"."line_no" = "cart_item__streamleap_tombstones"."line_no" and "cart_item__dbt_tmp"._streamleap_order = "cart_item__streamleap_tombstones"._streamleap_order
  and "cart_item__dbt_tmp"._streamleap_op = 'delete';
update "dev"."analytics"."streamleap_state"
set applied_rows = (select count(*) from "cart_item__dbt_tmp" where _streamleap_op in ('load', 'insert', 'update', 'delete')),
    newest_commit_ts = coalesce((select max(_streamleap_commit_ts) from "cart_item__dbt_tmp" where _streamleap_op in ('load', 'insert', 'update', 'delete')), newest_commit_ts)
where relation_name = 'dev.analytics.cart_item';
insert into "dev"."analytics"."cart_item__streamleap_tombstones" ("cart_id", "line_no", _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at)
select "cart_id", "line_no", _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at
from "cart_item__dbt_tmp" where _streamleap_op = 'delete';
insert into "dev"."analytics"."cart_item" ("cart_id", "line_no", "sku", _streamleap_op, _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at,
  "dbt_valid_from", "dbt_valid_to", "dbt_scd_id", "dbt_updated_at", "dbt_is_deleted", "_streamleap_is_current", "_streamleap_to_order")
select "cart_item__dbt_tmp"."cart_id", "cart_item__dbt_tmp"."line_no", "cart_item__dbt_tmp"."sku", "cart_item__dbt_tmp"._streamleap_op, "cart_item__dbt_tmp"._streamleap_order, "cart_item__dbt_tmp"._streamleap_commit_ts, "cart_item__dbt_tmp"._streamleap_synced_at,
  "cart_item__dbt_tmp"._streamleap_commit_ts, cast(null as timestamp), md5(cast(length(cast("cart_item__dbt_tmp"."cart_id" as varchar(65535))) as varchar(20)) || ':' || cast("cart_item__dbt_tmp"."cart_id" as varchar(65535)) || '|' || cast(length(cast("cart_item__dbt_tmp"."line_no" as varchar(65535))) as varchar(20)) || ':' || cast("cart_item__dbt_tmp"."line_no" as varchar(65535)) || '|' || "cart_item__dbt_tmp"._streamleap_order), "cart_item__dbt_tmp"._streamleap_commit_ts,
  false, true, cast(null as varchar(256))
from "cart_item__dbt_tmp" where "cart_item__dbt_tmp"._streamleap_op not in ('delete', 'truncate');
update "dev"."analytics"."cart_item"
set "dbt_valid_to" = _sl_next._sl_next_ts, "dbt_is_deleted" = _sl_next._sl_next_deletes, "_streamleap_is_current" = false,
    _streamleap_to_order = _sl_next._sl_next_order
from (
  select "cart_id", "line_no", _sl_o, _sl_next_order, _sl_next_ts, _sl_next_deletes from (
    select "cart_id", "line_no", _sl_o, _sl_version,
      lead(_sl_o) over (partition by "cart_id", "line_no" order by _sl_o) as _sl_next_order,
      lead(_sl_ts) over (partition by "cart_id", "line_no" order by _sl_o) as _sl_next_ts,
      lead(_sl_deletes) over (partition by "cart_id", "line_no" order by _sl_o) as _sl_next_deletes
    from (
      select "cart_item"."cart_id", "cart_item"."line_no", "cart_item"._streamleap_order as _sl_o, "cart_item"."dbt_valid_from" as _sl_ts,
        true as _sl_version, false as _sl_deletes
      from "dev"."analytics"."cart_item"
      join (select distinct "cart_id", "line_no" from "cart_item__dbt_tmp" where _streamleap_op <> 'truncate') _sl_keys
        on "cart_item"."cart_id" = _sl_keys."cart_id" and "cart_item"."line_no" = _sl_keys."line_no"
      union all
      select "cart_item__streamleap_tombstones"."cart_id", "cart_item__streamleap_tombstones"."line_no", "cart_item__streamleap_tombstones"._streamleap_order, "cart_item__streamleap_tombstones"._streamleap_commit_ts, false, true
      from "dev"."analytics"."cart_item__streamleap_tombstones"
      join (select distinct "cart_id", "line_no" from "cart_item__dbt_tmp" where _streamleap_op <> 'truncate') _sl_keys
        on "cart_item__streamleap_tombstones"."cart_id" = _sl_keys."cart_id" and "cart_item__streamleap_tombstones"."line_no" = _sl_keys."line_no"
    ) _sl_events
  ) _sl_ordered
  where _sl_version and _sl_next_order is not null
) _sl_next
where "cart_item"."cart_id" = _sl_next."cart_id" and "cart_item"."line_no" = _sl_next."line_no" and "cart_item"._streamleap_order = _sl_next._sl_o
  and ("cart_item"._streamleap_to_order is null or _sl_next._sl_next_order < "cart_item"._streamleap_to_order
       or (not _sl_next._sl_next_deletes and "cart_item"."dbt_is_deleted"
           and substring(_sl_next._sl_next_order, 1, 21) = substring("cart_item"._streamleap_to_order, 1, 21)));
update "dev"."analytics"."cart_item"
set "dbt_valid_to" = _sl_cut.truncated_at, "dbt_is_deleted" = true, "_streamleap_is_current" = false,
    _streamleap_to_order = _sl_cut.truncated_order
from (
  select _sl_v."cart_id", _sl_v."line_no", _sl_v._streamleap_order as _sl_o, min(_sl_t.truncated_order) as _sl_first
  from "dev"."analytics"."cart_item" _sl_v
  join "cart_item__dbt_tmp" _sl_b on _sl_b."cart_id" = _sl_v."cart_id" and _sl_b."line_no" = _sl_v."line_no" and _sl_b._streamleap_order = _sl_v._streamleap_order
    and _sl_b._streamleap_op not in ('delete', 'truncate')
  join "dev"."analytics"."streamleap_truncates" _sl_t on _sl_t.relation_name = 'dev.analytics.cart_item'
    and _sl_t.truncated_order > _sl_v._streamleap_order
    and not (_sl_v._streamleap_op = 'load' and _sl_v."dbt_valid_from" > _sl_t.truncated_at)
  group by _sl_v."cart_id", _sl_v."line_no", _sl_v._streamleap_order
) _sl_first
join (select distinct truncated_order, truncated_at from "dev"."analytics"."streamleap_truncates" where relation_name = 'dev.analytics.cart_item') _sl_cut on _sl_cut.truncated_order = _sl_first._sl_first
where "cart_item"."cart_id" = _sl_first."cart_id" and "cart_item"."line_no" = _sl_first."line_no" and "cart_item"._streamleap_order = _sl_first._sl_o
  and ("cart_item"._streamleap_to_order is null
       or (_sl_first._sl_first < "cart_item"._streamleap_to_order
           and (substring(_sl_first._sl_first, 1, 21) <> substring("cart_item"._streamleap_to_order, 1, 21) or "cart_item"."dbt_is_deleted")));
insert into "dev"."analytics"."streamleap_truncates" (relation_name, truncated_order, truncated_at, synced_at)
select distinct 'dev.analytics.cart_item', _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at from "cart_item__dbt_tmp" _sl_b
where _sl_b._streamleap_op = 'truncate'
  and not exists (select 1 from "dev"."analytics"."streamleap_truncates" where "streamleap_truncates".relation_name = 'dev.analytics.cart_item' and "streamleap_truncates".truncated_order = _sl_b._streamleap_order);
update "dev"."analytics"."cart_item"
set "dbt_valid_to" = _sl_cut.truncated_at, "dbt_is_deleted" = true, "_streamleap_is_current" = false,
    _streamleap_to_order = _sl_cut.truncated_order
from (
  select _sl_v."cart_id", _sl_v."line_no", _sl_v._streamleap_order as _sl_o, min(_sl_t.truncated_order) as _sl_first
  from "dev"."analytics"."cart_item" _sl_v
  join (select _streamleap_order as truncated_order, _streamleap_commit_ts as truncated_at from "cart_item__dbt_tmp" where _streamleap_op = 'truncate') _sl_t on 1 = 1
    and _sl_t.truncated_order > _sl_v._streamleap_order
    and not (_sl_v._streamleap_op = 'load' and _sl_v."dbt_valid_from" > _sl_t.truncated_at)
  group by _sl_v."cart_id", _sl_v."line_no", _sl_v._streamleap_order
) _sl_first
join (select distinct truncated_order, truncated_at from "dev"."analytics"."streamleap_truncates" where relation_name = 'dev.analytics.cart_item') _sl_cut on _sl_cut.truncated_order = _sl_first._sl_first
where "cart_item"."cart_id" = _sl_first."cart_id" and "cart_item"."line_no" = _sl_first."line_no" and "cart_item"._streamleap_order = _sl_first._sl_o
  and ("cart_item"._streamleap_to_order is null
       or (_sl_first._sl_first < "cart_item"._streamleap_to_order
           and (substring(_sl_first._sl_first, 1, 21) <> substring("cart_item"._streamleap_to_order, 1, 21) or "cart_item"."dbt_is_deleted")));
update "dev"."analytics"."streamleap_state" set fingerprint = 'mirror:377a42e264d2d1b983e9949a5514defb'
where relation_name = 'dev.analytics.cart_item';
commit
