{#- The streaming view over Kinesis stream shop_cdc: one row per record, the payload parsed,
    raw bytes kept for records that are not JSON. Locally a view over the stand-in table. -#}
{{ config(
    materialized='streaming_mv',
    stream_schema=stream_schema(),
    stream_name='shop_cdc',
    auto_refresh=true,
    sort=['refresh_time'],
) }}
{{ streamleap.staging_select(stream_schema(), 'shop_cdc') }}
