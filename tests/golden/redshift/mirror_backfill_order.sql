update "dev"."analytics"."Order"
set "Mixed Case" = "Order__dbt_tmp"."Mixed Case", "we""ird" = "Order__dbt_tmp"."we""ird", "Ünïcode" = "Order__dbt_tmp"."Ünïcode"
from "Order__dbt_tmp"
where "Order"."select" = "Order__dbt_tmp"."select"
  and "Order"._streamleap_order = "Order__dbt_tmp"._streamleap_order and "Order__dbt_tmp"._streamleap_op <> 'delete'
