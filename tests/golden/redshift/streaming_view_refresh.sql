refresh materialized view "dev"."analytics"."stg_shop_cdc"
