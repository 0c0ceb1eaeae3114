select
  approximate_arrival_timestamp,
  partition_key,
  shard_id,
  sequence_number,
  refresh_time,
  case when can_json_parse(kinesis_data) then json_parse(kinesis_data) end as payload,
  kinesis_data as raw_data
from "dev"."kinesis"."shop_cdc"
