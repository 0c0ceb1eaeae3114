select
  kafka_timestamp as approximate_arrival_timestamp,
  lower(from_varbyte(kafka_key, 'hex')) as partition_key,
  cast(kafka_partition as varchar(20)) as shard_id,
  cast(kafka_offset as varchar(128)) as sequence_number,
  refresh_time,
  case when can_json_parse(kafka_value) then json_parse(kafka_value) end as payload,
  kafka_value as raw_data
from "dev"."msk"."ShopCDC"
