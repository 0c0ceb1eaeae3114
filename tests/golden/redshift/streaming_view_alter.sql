alter materialized view "dev"."analytics"."stg_shop_cdc" auto refresh no;
alter materialized view "dev"."analytics"."stg_shop_cdc" alter distkey "shard_id";
alter materialized view "dev"."analytics"."stg_shop_cdc" alter sortkey ("refresh_time", "sequence_number")
