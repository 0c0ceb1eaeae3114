{#- Records of stream shop_cdc that cannot be applied to a mirror: reason, raw bytes, position. -#}
{{ config(
    materialized='streamleap_mirror',
    incremental_strategy='streamleap_cdc',
    streamleap_set_aside={'stream_model': 'stg_shop_cdc'},
    pre_hook="{{ streamleap.session_setup() }}",
    post_hook="{{ streamleap.set_aside_after_build(ref('stg_shop_cdc')) }}",
) }}
{{ streamleap.set_aside_select(ref('stg_shop_cdc')) }}
