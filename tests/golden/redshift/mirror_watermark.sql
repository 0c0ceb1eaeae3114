coalesce((select max(watermark) from "dev"."analytics"."streamleap_state" where relation_name = 'dev.analytics.cart'), cast('1900-01-01 00:00:00' as timestamp))
