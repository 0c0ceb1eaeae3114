{#- Generic test: the model and compare_model hold the same rows on the listed columns.
    Returns every row that is in one and not in the other (EXCEPT both ways, with the side it
    is missing from), and a row for a difference in row counts, which EXCEPT alone would miss
    when a row is duplicated. Usage:
      data_tests:
        - equal_rows:
            arguments: {compare_model: ref('expected_cart'), columns: [id, status]}
-#}
{% test equal_rows(model, compare_model, columns) %}
{%- set cols = [] -%}
{%- for c in columns %}{% do cols.append(adapter.quote(c)) %}{% endfor -%}
{%- set col_list = cols | join(', ') -%}
with actual as (
  select {{ col_list }} from {{ model }}
),
expected as (
  select {{ col_list }} from {{ compare_model }}
),
only_in_actual as (
  select * from actual
  except
  select * from expected
),
only_in_expected as (
  select * from expected
  except
  select * from actual
),
counts as (
  select
    (select count(*) from actual) as actual_rows,
    (select count(*) from expected) as expected_rows
)
select 'only in model' as difference, {{ col_list }} from only_in_actual
union all
select 'only in compare_model' as difference, {{ col_list }} from only_in_expected
union all
select 'row counts differ: ' || cast(actual_rows as varchar(20)) || ' vs ' || cast(expected_rows as varchar(20)) as difference,
  {% for c in columns %}null{{ ', ' if not loop.last }}{% endfor %}
from counts
where actual_rows <> expected_rows
{% endtest %}
