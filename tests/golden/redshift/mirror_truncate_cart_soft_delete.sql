update "dev"."analytics"."cart"
set _streamleap_op = 'delete', _streamleap_order = "cart__dbt_tmp"._streamleap_order, _streamleap_commit_ts = "cart__dbt_tmp"._streamleap_commit_ts,
    _streamleap_synced_at = "cart__dbt_tmp"._streamleap_synced_at, _streamleap_deleted = true, _streamleap_deleted_at = "cart__dbt_tmp"._streamleap_commit_ts
from "cart__dbt_tmp"
where "cart__dbt_tmp"._streamleap_op = 'truncate' and "cart"._streamleap_order < "cart__dbt_tmp"._streamleap_order
  and not coalesce("cart"._streamleap_deleted, false);
delete from "dev"."analytics"."streamleap_truncates" where relation_name = 'dev.analytics.cart' and exists (select 1 from "cart__dbt_tmp" where _streamleap_op = 'truncate');
insert into "dev"."analytics"."streamleap_truncates" (relation_name, truncated_order, truncated_at, synced_at)
select 'dev.analytics.cart', _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at from "cart__dbt_tmp" where _streamleap_op = 'truncate'
