update "dev"."analytics"."Order"
set "Mixed Case" = b."Mixed Case", "we""ird" = b."we""ird", "Ünïcode" = b."Ünïcode"
from "Order__dbt_tmp" b
where "Order"."select" = b."select"
  and "Order"._streamleap_order = b._streamleap_order and b._streamleap_op <> 'delete'
