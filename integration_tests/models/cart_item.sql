{#- Type-1 mirror of public.cart_item; its columns and key are configured in _shop_cdc__models.yml. -#}
{{ config(
    materialized='streamleap_mirror',
    on_schema_change='append_new_columns',
) }}
{{ streamleap.mirror_select(ref('stg_shop_cdc')) }}
