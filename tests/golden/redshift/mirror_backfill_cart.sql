update "dev"."analytics"."cart"
set "status" = b."status", "total" = b."total", "paid" = b."paid", "created_at" = b."created_at", "attrs" = b."attrs", "receipt" = b."receipt"
from "cart__dbt_tmp" b
where "cart"."id" = b."id"
  and "cart"._streamleap_order = b._streamleap_order and b._streamleap_op <> 'delete'
