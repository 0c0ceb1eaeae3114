{#-
  Reading DMS JSON records: text of a value at a path, and the small per-dialect pieces that
  the change parser and the value conversions are written in.
-#}

{#- Quote an identifier the way all three dialects read it: double quotes, inner quotes doubled. -#}
{% macro quote_ident(name) -%}
  {{- '"' ~ (name | string | replace('"', '""')) ~ '"' -}}
{%- endmacro %}

{#- The text of the JSON value at keys (a list of object keys): strings unquoted, numbers and
    booleans as written, objects and arrays as JSON text, JSON null and missing keys as NULL. -#}
{% macro json_text(payload, keys) -%}
  {{ return(adapter.dispatch('json_text', 'streamleap')(payload, keys)) }}
{%- endmacro %}

{#- The JSON pointer (RFC 6901) of keys, as a SQL string literal: a key needs no quoting beyond
    ~0 and ~1. -#}
{% macro _json_pointer(keys) -%}
  {%- set pointer = [] -%}
  {%- for k in keys %}{% do pointer.append('/' ~ (k | string | replace('~', '~0') | replace('/', '~1'))) %}{% endfor -%}
  {{ return(streamleap._string_literal(pointer | join(''))) }}
{%- endmacro %}

{% macro duckdb__json_text(payload, keys) -%}
  json_extract_string({{ payload }}, {{ streamleap._json_pointer(keys) }})
{%- endmacro %}

{% macro postgres__json_text(payload, keys) -%}
  ({{ payload }}{% for k in keys %} {{ '->>' if loop.last else '->' }} {{ streamleap._string_literal(k) }}{% endfor %})
{%- endmacro %}

{#- Redshift (the json_serialize part):
    - JSON_SERIALIZE "returns an error when the JSON format exceeds the VARCHAR limit of the
      system"; JSON_SIZE "does not have this limitation". A value whose text would be longer than
      65,535 bytes has no text here (NULL): a JSON column keeps it whole, read as SUPER
      (convert_json), and no record fails the batch on every run.
      https://docs.aws.amazon.com/redshift/latest/dg/JSON_SERIALIZE.html
      https://docs.aws.amazon.com/redshift/latest/dg/r_json_size.html
    - How JSON_PARSE stores a number is not documented beyond "Amazon Redshift doesn't differentiate
      integers and decimals of scale 0" (https://docs.aws.amazon.com/redshift/latest/dg/limitations-super.html):
      nothing says a 20-digit integer or a 17-digit decimal comes back exactly. So only a number
      IS_BIGINT accepts (https://docs.aws.amazon.com/redshift/latest/dg/r_is_bigint.html) is read
      from SUPER; any other number of a top-level section ("data", "before-image", "metadata") is
      read as written, from the record's own bytes (the column raw_data beside payload: the staging
      view's contract), when the record fits a VARCHAR (FROM_VARBYTE returns VARCHAR). Larger
      records fall back to JSON_SERIALIZE (docs/decisions/0012). -#}
{% macro redshift__json_text(payload, keys) -%}
  {%- set value = streamleap.json_value(payload, keys) -%}
  {%- set raw = streamleap._raw_column(payload) -%}
  {%- set literal = streamleap._number_as_written(raw, keys) if raw else none -%}
  (case when is_varchar({{ value }}) then {{ value }}::varchar
        when {{ value }} is null or json_typeof({{ value }}) = 'null' then null
        when json_size({{ value }}) > 65535 then null
        {%- if literal %}
        when json_typeof({{ value }}) = 'number' and not is_bigint({{ value }}) and octet_length({{ raw }}) <= 65535
          then coalesce(nullif({{ literal }}, ''), json_serialize({{ value }}))
        {%- endif %}
        else json_serialize({{ value }}) end)
{%- endmacro %}

{#- The record's bytes beside a payload column: raw_data beside payload (staging_select). -#}
{% macro _raw_column(payload) -%}
  {{- return('raw_data' if payload == 'payload' else none) -}}
{%- endmacro %}

{#- SQL: the number literal of keys [section, name] as written in the record's text (raw, VARBYTE),
    or none when the keys cannot be matched safely. The first "name": after the section's opening
    brace ((?s): the text may span lines); DMS writes a nested JSON value as a string (its quotes escaped), so only an object value
    of an earlier column holding the same key could be read instead. PCRE ('p') for the lazy .*?,
    'e' returns the number's subexpression.
    https://docs.aws.amazon.com/redshift/latest/dg/REGEXP_SUBSTR.html -#}
{% macro _number_as_written(raw, keys) -%}
  {%- if keys | length != 2 -%}{{ return(none) }}{%- endif -%}
  {%- for k in keys -%}
    {%- if '\\' in k or '"' in k -%}{{ return(none) }}{%- endif -%}
  {%- endfor -%}
  {%- set sp = '[[:space:]]*' -%}
  {%- set pattern = '(?s)"\\Q' ~ keys[0] ~ '\\E"' ~ sp ~ ':' ~ sp ~ '[{].*?"\\Q' ~ keys[1] ~ '\\E"' ~ sp ~ ':' ~ sp ~ '(-?[0-9][0-9.eE+-]*)' -%}
  {{ return("regexp_substr(from_varbyte(" ~ raw ~ ", 'utf8'), " ~ streamleap._string_literal(pattern) ~ ", 1, 1, 'pe')") }}
{%- endmacro %}

{#- Reading several values of a record: {'once': SQL computed once per record (or none), 'values':
    one SQL expression per key list, which may refer to the column _sl_values holding `once`}.
    DuckDB parses a JSON document on every extraction, so it extracts all paths in one call. -#}
{% macro json_reader(payload, key_lists) -%}
  {{ return(adapter.dispatch('json_reader', 'streamleap')(payload, key_lists)) }}
{%- endmacro %}
{% macro default__json_reader(payload, key_lists) -%}
  {%- set values = [] -%}
  {%- for keys in key_lists %}{% do values.append(streamleap.json_text(payload, keys)) %}{% endfor -%}
  {{ return({'once': none, 'values': values}) }}
{%- endmacro %}
{% macro duckdb__json_reader(payload, key_lists) -%}
  {%- set pointers = [] -%}
  {%- set values = [] -%}
  {%- for keys in key_lists -%}
    {%- do pointers.append(streamleap._json_pointer(keys)) -%}
    {%- do values.append('_sl_values[' ~ loop.index ~ ']') -%}
  {%- endfor -%}
  {{ return({'once': 'json_extract_string(' ~ payload ~ ', [' ~ pointers | join(', ') ~ '])', 'values': values}) }}
{%- endmacro %}

{#- The JSON value itself (SUPER on Redshift, JSON on DuckDB, jsonb on Postgres). -#}
{% macro json_value(payload, keys) -%}
  {{ return(adapter.dispatch('json_value', 'streamleap')(payload, keys)) }}
{%- endmacro %}
{% macro redshift__json_value(payload, keys) -%}
  {{ payload }}{% for k in keys %}.{{ streamleap.quote_ident(k) }}{% endfor %}
{%- endmacro %}
{% macro duckdb__json_value(payload, keys) -%}
  json_extract({{ payload }}, {{ streamleap._json_pointer(keys) }})
{%- endmacro %}
{% macro postgres__json_value(payload, keys) -%}
  ({{ payload }}{% for k in keys %} -> {{ streamleap._string_literal(k) }}{% endfor %})
{%- endmacro %}

{#- text matches a whole POSIX/RE2 pattern (written without anchors) -#}
{% macro re_full(text, pattern) -%}
  {{ return(adapter.dispatch('re_full', 'streamleap')(text, pattern)) }}
{%- endmacro %}
{% macro default__re_full(text, pattern) -%}({{ text }} ~ {{ streamleap._string_literal('^(' ~ pattern ~ ')$') }}){%- endmacro %}
{% macro duckdb__re_full(text, pattern) -%}regexp_full_match({{ text }}, {{ streamleap._string_literal(pattern) }}){%- endmacro %}

{% macro re_replace_all(text, pattern, replacement) -%}
  {{ return(adapter.dispatch('re_replace_all', 'streamleap')(text, pattern, replacement)) }}
{%- endmacro %}
{% macro default__re_replace_all(text, pattern, replacement) -%}regexp_replace({{ text }}, {{ streamleap._string_literal(pattern) }}, {{ streamleap._string_literal(replacement) }}, 'g'){%- endmacro %}
{% macro redshift__re_replace_all(text, pattern, replacement) -%}regexp_replace({{ text }}, {{ streamleap._string_literal(pattern) }}, {{ streamleap._string_literal(replacement) }}){%- endmacro %}

{% macro byte_length(text) -%}{{ return(adapter.dispatch('byte_length', 'streamleap')(text)) }}{%- endmacro %}
{% macro default__byte_length(text) -%}octet_length({{ text }}){%- endmacro %}
{% macro duckdb__byte_length(text) -%}strlen({{ text }}){%- endmacro %}

{% macro hex_to_bytes(text) -%}{{ return(adapter.dispatch('hex_to_bytes', 'streamleap')(text)) }}{%- endmacro %}
{% macro default__hex_to_bytes(text) -%}decode({{ text }}, 'hex'){%- endmacro %}
{% macro duckdb__hex_to_bytes(text) -%}unhex({{ text }}){%- endmacro %}
{#- Redshift: TO_VARBYTE(string, 'hex') converts any VARCHAR expression; FROM_HEX takes its argument
    as a literal only ("The format must be a literal value",
    https://docs.aws.amazon.com/redshift/latest/dg/r_FROM_HEX.html and r_TO_VARBYTE.html). -#}
{% macro redshift__hex_to_bytes(text) -%}to_varbyte({{ text }}, 'hex'){%- endmacro %}

{% macro is_json_text(text, stream_schema) -%}{{ return(adapter.dispatch('is_json_text', 'streamleap')(text, stream_schema)) }}{%- endmacro %}
{% macro duckdb__is_json_text(text, stream_schema) -%}json_valid({{ text }}){%- endmacro %}
{% macro postgres__is_json_text(text, stream_schema) -%}{{ streamleap.quote_ident(stream_schema) }}.streamleap_is_json({{ text }}){%- endmacro %}
{% macro redshift__is_json_text(text, stream_schema) -%}can_json_parse({{ text }}){%- endmacro %}

{#- A CTE whose rows are computed once, however often the query refers to its columns. Postgres and
    DuckDB inline a CTE (Postgres one used once, DuckDB 2.0 even one used twice) and then repeat its
    expressions at every reference: the staging view's parse (a plpgsql call per record), a
    record's checks, its order key. Measured on the 10,000-record batch of `bench/run.py --parts
    peers`: Postgres 804 -> 490 ms, DuckDB 304 -> 170 ms for the batch SELECT.
    https://www.postgresql.org/docs/current/queries-with.html#QUERIES-WITH-CTE-MATERIALIZATION
    https://duckdb.org/docs/stable/sql/query_syntax/with.html#cte-materialization -#}
{% macro materialized_cte() -%}{{ return(adapter.dispatch('materialized_cte', 'streamleap')()) }}{%- endmacro %}
{% macro default__materialized_cte() -%}{%- endmacro %}
{% macro postgres__materialized_cte() -%}materialized {% endmacro %}
{% macro duckdb__materialized_cte() -%}materialized {% endmacro %}
{#- dbt-redshift falls back to postgres__ macros: Redshift has no MATERIALIZED CTEs -#}
{% macro redshift__materialized_cte() -%}{%- endmacro %}

{#- One JSON rule on every target (docs/decisions/0011): a record is JSON as RFC 8259 writes it and
    as every target's parser holds it, or it is set aside as not valid JSON. Postgres's jsonb
    refuses NaN and Infinity literals and \u0000 in strings (text cannot hold it); DuckDB's reader
    takes them. Redshift's SUPER nests at most 1,000 levels ("The maximum nesting depth for arrays
    and structures of the SUPER data type is 1,000",
    https://docs.aws.amazon.com/redshift/latest/dg/limitations-super.html); DuckDB and Postgres
    nest deeper. The check is SQL over the record's text, empty where the staging view's parser
    already refuses such records. -#}
{% macro payload_rule_check(payload) -%}
  {{ return(adapter.dispatch('payload_rule_check', 'streamleap')(payload)) }}
{%- endmacro %}
{% macro default__payload_rule_check(payload) -%}{%- endmacro %}
{#- dbt-redshift falls back to postgres__ macros: Redshift's JSON_PARSE (the staging view) is the
    parser the rule is taken from -#}
{% macro redshift__payload_rule_check(payload) -%}{%- endmacro %}
{#- DuckDB: the staging view applies the rule (duckdb__json_rule) where it parses the record -#}
{% macro duckdb__payload_rule_check(payload) -%}{%- endmacro %}
{#- The rule over a record's JSON text on DuckDB (its staging view, staging_select.sql): strings
    taken out, then true/false/null and exponents: a letter left is a literal JSON does not have; a
    \u0000 escape is one preceded by an even number of backslashes -#}
{% macro duckdb__json_rule(text) -%}
  {%- set bare = "regexp_replace(" ~ text ~ ", '\"(\\\\.|[^\"\\\\])*\"', '\"\"', 'g')" -%}
  {#- each check first looks for its words with a plain search, and runs its regular expressions only
      on the few records that hold them (DuckDB's reader takes only ASCII NaN/Inf literals, in any case,
      so an ASCII-lowered search finds every record that may hold one) -#}
  (case when not (contains(lower({{ text }}), 'nan') or contains(lower({{ text }}), 'inf')) then true
        else not regexp_matches(regexp_replace({{ bare }}, 'true|false|null|[0-9.][eE]', '', 'g'), '[A-Za-z]') end
   and case when strpos({{ text }}, '\u0000') = 0 then true
            else not regexp_matches({{ text }}, '(^|[^\\])(\\\\)*\\u0000') end
   and {{ streamleap._nesting_within(text, bare) }})
{%- endmacro %}
{#- jsonb refused NaN and \u0000 already (the record has no payload); its text is jsonb's own -#}
{#- jsonb spends at least 8 bytes a nesting level (a container header, and its entry in the
    parent: 1,001 empty arrays take 8,020), so a payload of 8,000 bytes or less cannot nest past
    1,000 levels: pg_column_size reads the datum's length, and only larger records are printed as
    text and walked. A stored datum may be compressed (a `streamleap run` cycle keeps the new
    records in a temporary table, cycle.sql), and then its size says nothing: compressed payloads
    (pg_column_compression, Postgres 14+) are walked too. -#}
{% macro postgres__payload_rule_check(payload) -%}
  {%- set text = 'cast(' ~ payload ~ ' as text)' -%}
  {%- set bare = "regexp_replace(" ~ text ~ ", '\"(\\\\.|[^\"\\\\])*\"', '\"\"', 'g')" -%}
  (case when pg_column_size({{ payload }}) <= 8000 and pg_column_compression({{ payload }}) is null then true else {{ streamleap._nesting_within(text, bare) }} end)
{%- endmacro %}

{#- Nesting of the JSON text at most 1,000 levels. At most 1,000 opening brackets in the whole text
    (strings included) prove it at once; only a record with more (the CASE keeps the walk to those)
    is walked: its brackets outside strings (`bare` is the text with its strings emptied), the
    depth a running sum. -#}
{% macro _nesting_within(text, bare) -%}
  {%- set brackets = "regexp_replace(" ~ bare ~ ", '[^\\[\\]{}]', '', 'g')" -%}
  {#- a text of at most 1,000 characters holds at most 1,000 brackets -#}
  (case when length({{ text }}) <= 1000 then true
        when length({{ text }}) - length(replace(replace({{ text }}, '[', ''), '{', '')) <= 1000 then true
        else {{ adapter.dispatch('_nesting_depth', 'streamleap')(brackets) }} <= 1000 end)
{%- endmacro %}
{% macro default___nesting_depth(brackets) -%}
  (select max(depth) from (select sum(case when c in ('[', '{') then 1 else -1 end) over (order by i) as depth
                           from regexp_split_to_table({{ brackets }}, '') with ordinality as s(c, i)) d)
{%- endmacro %}
{#- DuckDB turns a correlated subquery into a join over every record: a fold over the brackets
    instead (accumulator: deepest * 10^6 + current depth) -#}
{% macro duckdb___nesting_depth(brackets) -%}
  (list_reduce(list_transform(string_split({{ brackets }}, ''), lambda ch: case when ch in ('[', '{') then 1 else -1 end),
               lambda acc, x: greatest(acc // 1000000, acc % 1000000 + x) * 1000000 + (acc % 1000000 + x), cast(0 as bigint)) // 1000000)
{%- endmacro %}
