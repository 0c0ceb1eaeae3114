insert into "dev"."analytics"."cart__streamleap_tombstones" ("id", _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at)
select "id", _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at
from "dev"."analytics"."cart" where _streamleap_deleted;
delete from "dev"."analytics"."cart" where _streamleap_deleted
