drop materialized view if exists "dev"."analytics"."stg_shop_cdc"
