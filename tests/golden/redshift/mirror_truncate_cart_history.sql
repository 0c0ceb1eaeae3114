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
           and (substring(_sl_first._sl_first, 1, 21) <> substring("cart"._streamleap_to_order, 1, 21) or "cart"."dbt_is_deleted")))
