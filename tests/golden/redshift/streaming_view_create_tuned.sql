create materialized view "dev"."analytics"."stg_shop_cdc" backup no diststyle key distkey ("shard_id") sortkey ("refresh_time", "sequence_number")
 auto refresh no
as
select
  approximate_arrival_timestamp,
  partition_key,
  shard_id,
  sequence_number,
  refresh_time,
  case when can_json_parse(kinesis_data) then json_parse(kinesis_data) end as payload,
  kinesis_data as raw_data
from "dev"."kinesis"."shop_cdc"
