update "dev"."analytics"."cart"
set "status" = "cart__dbt_tmp"."status", "total" = "cart__dbt_tmp"."total", "paid" = "cart__dbt_tmp"."paid", "created_at" = "cart__dbt_tmp"."created_at", "attrs" = "cart__dbt_tmp"."attrs", "receipt" = "cart__dbt_tmp"."receipt"
from "cart__dbt_tmp"
where "cart"."id" = "cart__dbt_tmp"."id"
  and "cart"._streamleap_order = "cart__dbt_tmp"._streamleap_order and "cart__dbt_tmp"._streamleap_op <> 'delete'
