{#- Type-1 mirror of public.cart_item; its columns and key are configured in _shop_cdc__models.yml. -#}
{{ config(
    materialized='streamleap_mirror',
    incremental_strategy='streamleap_cdc',
    on_schema_change='append_new_columns',
    pre_hook="{{ streamleap.session_setup() }}",
    post_hook="{{ streamleap.mirror_after_build(ref('stg_shop_cdc')) }}",
) }}
{{ streamleap.mirror_select(ref('stg_shop_cdc')) }}
