update "dev"."analytics"."cart" set _streamleap_deleted = false, _streamleap_values_order = _streamleap_order where _streamleap_deleted is null;
insert into "dev"."analytics"."cart" ("id", _streamleap_op, _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at, _streamleap_deleted, _streamleap_deleted_at)
select "id", 'delete', _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at, true, _streamleap_commit_ts
from "dev"."analytics"."cart__streamleap_tombstones";
delete from "dev"."analytics"."cart__streamleap_tombstones"
