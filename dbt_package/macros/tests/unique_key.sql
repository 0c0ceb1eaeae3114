{#- Generic test: no two rows share the (composite) key. Usage in a properties file:
      data_tests:
        - streamleap.unique_key:
            arguments: {columns: [order_id, line_no]}
-#}
{% test unique_key(model, columns) %}
select {% for c in columns %}{{ streamleap.quote_ident(c) }}, {% endfor %}count(*) as n_rows
from {{ model }}
group by {% for c in columns %}{{ streamleap.quote_ident(c) }}{{ ', ' if not loop.last }}{% endfor %}
having count(*) > 1
{% endtest %}
