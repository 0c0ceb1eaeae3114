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
delete from "dev"."analytics"."streamleap_state" where relation_name = 'dev.analytics.cart';
commit;
drop table if exists "cart__streamleap_initial";

  
    

  create temporary table
    "cart__streamleap_initial"
    
    
    
  as (
    select 1 as id
  );
  ;
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
set watermark = coalesce((select max(_streamleap_synced_at) from "cart__streamleap_initial"), watermark),
    updated_at = getdate()
where relation_name = 'dev.analytics.cart';
delete from "cart__streamleap_initial" where _streamleap_op = 'watermark';
delete from "cart__streamleap_initial" using "dev"."analytics"."cart"
where "cart__streamleap_initial"."id" = "cart"."id" and "cart__streamleap_initial"._streamleap_order <= "cart"._streamleap_order;
delete from "cart__streamleap_initial" using "dev"."analytics"."cart__streamleap_tombstones"
where "cart__streamleap_initial"."id" = "cart__streamleap_tombstones"."id" and "cart__streamleap_initial"._streamleap_order <= "cart__streamleap_tombstones"._streamleap_order;
delete from "cart__streamleap_initial" using "dev"."analytics"."streamleap_truncates"
where "streamleap_truncates".relation_name = 'dev.analytics.cart'
  and "cart__streamleap_initial"._streamleap_order <= "streamleap_truncates".truncated_order
  and not ("cart__streamleap_initial"._streamleap_op = 'load' and "cart__streamleap_initial"._streamleap_commit_ts > "streamleap_truncates".truncated_at);
update "dev"."analytics"."streamleap_state"
set applied_rows = (select count(*) from "cart__streamleap_initial" where _streamleap_op in ('load', 'insert', 'update', 'delete')),
    newest_commit_ts = coalesce((select max(_streamleap_commit_ts) from "cart__streamleap_initial" where _streamleap_op in ('load', 'insert', 'update', 'delete')), newest_commit_ts)
where relation_name = 'dev.analytics.cart';
delete from "dev"."analytics"."cart" using "cart__streamleap_initial"
where "cart"."id" = "cart__streamleap_initial"."id";
insert into "dev"."analytics"."cart" ("id", "status", "total", "paid", "created_at", "attrs", "receipt", "_streamleap_op", "_streamleap_order", "_streamleap_commit_ts", "_streamleap_synced_at")
select "id", "status", "total", "paid", "created_at", "attrs", "receipt", "_streamleap_op", "_streamleap_order", "_streamleap_commit_ts", "_streamleap_synced_at"
from "cart__streamleap_initial" where _streamleap_op not in ('delete', 'truncate');
delete from "dev"."analytics"."cart__streamleap_tombstones" using "cart__streamleap_initial"
where "cart__streamleap_tombstones"."id" = "cart__streamleap_initial"."id";
insert into "dev"."analytics"."cart__streamleap_tombstones" ("id", _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at)
select "id", _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at
from "cart__streamleap_initial" where _streamleap_op = 'delete';

delete from "dev"."analytics"."cart" where _streamleap_order < (select max(_streamleap_order) from "cart__streamleap_initial" where _streamleap_op = 'truncate')
  and not (_streamleap_op = 'load' and _streamleap_commit_ts > (select max(_streamleap_commit_ts) from "cart__streamleap_initial" where _streamleap_op = 'truncate'));
delete from "dev"."analytics"."cart__streamleap_tombstones" where _streamleap_order < (select max(_streamleap_order) from "cart__streamleap_initial" where _streamleap_op = 'truncate');
delete from "dev"."analytics"."streamleap_truncates" where relation_name = 'dev.analytics.cart' and exists (select 1 from "cart__streamleap_initial" where _streamleap_op = 'truncate');
insert into "dev"."analytics"."streamleap_truncates" (relation_name, truncated_order, truncated_at, synced_at)
select 'dev.analytics.cart', _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at from "cart__streamleap_initial"
where _streamleap_op = 'truncate' and _streamleap_order = (select max(_streamleap_order) from "cart__streamleap_initial" where _streamleap_op = 'truncate');
update "dev"."analytics"."streamleap_state" set fingerprint = 'mirror:540ffc67c4bbdae78d2f962998523a96'
where relation_name = 'dev.analytics.cart';
commit;
drop table if exists "cart__streamleap_initial"
