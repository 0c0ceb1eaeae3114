select
  approximate_arrival_timestamp,
  partition_key,
  shard_id,
  sequence_number,
  refresh_time,
  case when can_json_parse(kinesis_data) then json_parse(kinesis_data) end as payload,
  case when not can_json_parse(kinesis_data) or kinesis_data is null then kinesis_data end as raw_data
from "dev"."kinesis"."shop_cdc"
