{#- The set-aside records by their position in the seed (deliver_batch writes sequence numbers
    '4960' followed by record_no in 52 digits), to compare with seeds/expected_set_aside.csv. -#}
{{ config(materialized='view') }}
select
  cast(substr(sequence_number, 5) as integer) as record_no,
  reason
from {{ ref('shop_cdc_set_aside') }}
