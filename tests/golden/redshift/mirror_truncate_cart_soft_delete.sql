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
                  and "streamleap_truncates".truncated_order = _sl_b._streamleap_order)
