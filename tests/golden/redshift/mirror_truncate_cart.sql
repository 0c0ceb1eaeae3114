delete from "dev"."analytics"."cart" where _streamleap_order < (select max(_streamleap_order) from "cart__dbt_tmp" where _streamleap_op = 'truncate')
  and not (_streamleap_op = 'load' and _streamleap_commit_ts > (select max(_streamleap_commit_ts) from "cart__dbt_tmp" where _streamleap_op = 'truncate'));
delete from "dev"."analytics"."cart__streamleap_tombstones" where _streamleap_order < (select max(_streamleap_order) from "cart__dbt_tmp" where _streamleap_op = 'truncate');
delete from "dev"."analytics"."streamleap_truncates" where relation_name = 'dev.analytics.cart' and exists (select 1 from "cart__dbt_tmp" where _streamleap_op = 'truncate');
insert into "dev"."analytics"."streamleap_truncates" (relation_name, truncated_order, truncated_at, synced_at)
select 'dev.analytics.cart', _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at from "cart__dbt_tmp"
where _streamleap_op = 'truncate' and _streamleap_order = (select max(_streamleap_order) from "cart__dbt_tmp" where _streamleap_op = 'truncate')
