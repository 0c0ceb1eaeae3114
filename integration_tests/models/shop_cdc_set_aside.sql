{#- Records of stream shop_cdc that cannot be applied to a mirror: reason, raw bytes, position. -#}
{{ config(
    materialized='streamleap_set_aside',
    streamleap_set_aside={'stream_model': 'stg_shop_cdc'},
) }}
{{ streamleap.set_aside_select(ref('stg_shop_cdc')) }}
