update "dev"."analytics"."cart" set _streamleap_deleted = false, _streamleap_values_order = _streamleap_order where _streamleap_deleted is null;
insert into "dev"."analytics"."cart" ("id", _streamleap_op, _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at, _streamleap_deleted, _streamleap_deleted_at)
select "cart__streamleap_tombstones"."id", 'delete', "cart__streamleap_tombstones"._streamleap_order, "cart__streamleap_tombstones"._streamleap_commit_ts,
  "cart__streamleap_tombstones"._streamleap_synced_at, true, "cart__streamleap_tombstones"._streamleap_commit_ts
from "dev"."analytics"."cart__streamleap_tombstones"
left join "dev"."analytics"."cart" on "cart__streamleap_tombstones"."id" = "cart"."id"
where "cart"."id" is null;
delete from "dev"."analytics"."cart__streamleap_tombstones"
