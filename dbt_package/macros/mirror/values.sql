{#-
  Converting a DMS JSON value (as text) into its mirror column, by the column's family.
  `value_check` says whether a non-null value can be converted without loss. What happens to a
  value that cannot is the project's choice, var `streamleap_on_misfit` (docs/decisions/0008):
    adjust (default) -- the change is applied with the value made to fit (`adjust_value`: text
                        and binary cut at the column's byte limit, decimals rounded to its scale,
                        everything else NULL) and the record is also kept in the set-aside model,
                        marked adjusted, one row per adjusted column;
    set_aside        -- the record is set aside whole and the mirror keeps the row as it was.
  Key columns are never adjusted: a record whose key does not fit is set aside either way.
  `convert_value` converts a value (guarded, so that no cast can fail the batch).
  DMS encodings: decimals as numbers or strings, booleans as 0/1 or true/false, timestamps as
  'YYYY-MM-DD HH:MM:SS[.ffffff]', binary as hex (with or without 0x), large BIGINTs possibly
  in scientific notation.
-#}

{#- The project's misfit policy: 'adjust' or 'set_aside'. -#}
{% macro on_misfit() -%}
  {%- set policy = var('streamleap_on_misfit', 'adjust') | string | trim | lower -%}
  {%- if policy not in ('adjust', 'set_aside') -%}
    {{ exceptions.raise_compiler_error("var streamleap_on_misfit is '" ~ var('streamleap_on_misfit') ~ "'; it must be adjust (apply the change with the value made to fit, the default) or set_aside (set the whole record aside)") }}
  {%- endif -%}
  {{ return(policy) }}
{%- endmacro %}

{% macro column_type(col) -%}
  {{- return(col.types[target.type] if target.type in col.types else col.types['redshift']) -}}
{%- endmacro %}

{#- Shapes of well-formed values: one rule per value on every target (docs/decisions/0011), the
    values every target's type holds, so that a record has the same fate on DuckDB, Postgres and
    Redshift. Years 0001-9999 (no year 0: DuckDB would read it as 1 BC, Python cannot read it at
    all). UTC offsets up to +-14:59: Redshift's TIMETZ holds 00:00:00+1459 to 00:00:00-1459 (Database
    Developer Guide, "Datetime types", https://docs.aws.amazon.com/redshift/latest/dg/r_Datetime_types.html);
    Postgres and DuckDB's TIMETZ stop at +-15:59, DuckDB's TIMESTAMPTZ takes +25:00 and shifts the
    time. At most 6 fractional digits (all three keep microseconds). Numbers in scientific notation
    with at most 20 + 20 digits and a two-digit exponent: every double holds them, so the cast to a
    double that reads them cannot overflow. -#}
{%- macro _patterns() -%}
  {{ return({
    'integer': '[+-]?[0-9]+',
    'sci': '[+-]?[0-9]{1,20}([.][0-9]{0,20})?[eE][+]?[0-9]{1,2}',
    'dotzero': '[+-]?[0-9]{1,20}[.]0*',
    'float': '[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]{1,3})?|[+-]?(NaN|nan|Infinity|infinity|inf|Inf)',
    'date': '([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])',
    'time': '([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?|24:00:00',
    'clock': '([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?',
    'tz': '(Z|[+-](0[0-9]|1[0-4])(:?[0-5][0-9])?)',
    'booleans': ['true', 'false', '1', '0', 't', 'f'],
  }) }}
{%- endmacro -%}

{#- Integer ranges of the Redshift types: [min, max]. -#}
{% macro _integer_bounds(col) -%}
  {%- set typ = col.types.redshift | upper -%}
  {%- if typ == 'SMALLINT' -%}{{ return(['-32768', '32767']) }}
  {%- elif typ == 'INTEGER' -%}{{ return(['-2147483648', '2147483647']) }}
  {%- else -%}{{ return(['-9223372036854775808', '9223372036854775807']) }}
  {%- endif -%}
{%- endmacro %}

{#- SQL boolean: true when the text t (not null) fits the column without loss. payload and
    section locate the value in the record, for checks that need more than its text.
    Every conversion a check makes sits inside a CASE branch whose condition (the text's shape)
    comes first: neither Redshift nor Postgres promises to evaluate AND's operands in order
    ("the order of evaluation of subexpressions is not defined", PostgreSQL manual 4.2.14), and
    Redshift's TRY_CAST fails on an empty string ("The expression cannot contain blank or empty
    strings", https://docs.aws.amazon.com/redshift/latest/dg/r_TRY_CAST.html). -#}
{% macro value_check(col, t, stream_schema, payload=none, section='data') -%}
  {%- set p = streamleap._patterns() -%}
  {%- set f = col.family -%}
  {%- set exact = streamleap.number_is_exact(col, payload, section) if payload else '' -%}
  {%- if f == 'boolean' -%}
    lower({{ t }}) in ({% for b in p.booleans %}'{{ b }}'{{ ', ' if not loop.last }}{% endfor %})
  {%- elif f == 'integer' -%}
    {{ streamleap.integer_fits(col, t) }}
  {%- elif f == 'decimal' -%}
    {%- set int_digits = (col.precision - col.scale) -%}
    {%- set frac = ('([.][0-9]{0,' ~ col.scale ~ '}0*)?') if col.scale > 0 else '([.]0*)?' -%}
    {#- past the shape, the text is a sign, digits and at most one dot: it holds a digit unless it is
        one of these (a plain comparison, not a second regular expression) -#}
    (case when {{ streamleap.re_full(t, '[+-]?0*[0-9]{0,' ~ int_digits ~ '}' ~ frac) }}
            then {{ t }} not in ('', '+', '-', '.', '+.', '-.'){{ exact }}
    {%- if col.scale == 0 %}
          {#- large integers DMS wrote in scientific notation: only whole numbers that fit #}
          when {{ streamleap.re_full(t, p.sci) }}
            then {{ streamleap._sci_is_whole(t) }} and length(ltrim({{ streamleap._sci_digits(t) }}, '-')) <= {{ col.precision }}
    {%- endif %}
          else false end)
  {%- elif f == 'float' -%}
    (case when {{ streamleap.re_full(t, p.float) }} then {{ streamleap.float_in_range(t, col) }} else false end)
  {%- elif f == 'string' -%}
    {{ streamleap.byte_length(t) }} <= {{ col.max_bytes or 65535 }}
  {%- elif f == 'binary' -%}
    ({{ streamleap.re_full(t, '(0x)?([0-9a-fA-F]{2})*') }} and length({{ streamleap.re_replace_all(t, '^0x', '') }}) <= {{ 2 * (col.max_bytes or 1024000) }})
  {%- elif f == 'date' -%}
    (case when {{ streamleap.re_full(t, p.date) }} then {{ streamleap.castable(t, streamleap.column_type(col), stream_schema) }} else false end)
  {%- elif f == 'time' -%}
    {{ streamleap.re_full(t, p.time) }}
  {%- elif f == 'timetz' -%}
    {{ streamleap.re_full(t, '(' ~ p.time ~ ')' ~ p.tz ~ '?') }}
  {%- elif f == 'timestamp' -%}
    (case when {{ streamleap.re_full(t, p.date ~ '[ T](' ~ p.time ~ ')') }} then {{ streamleap.castable("replace(" ~ t ~ ", 'T', ' ')", streamleap.column_type(col), stream_schema) }} else false end)
  {%- elif f == 'timestamptz' -%}
    (case when {{ streamleap.re_full(t, p.date ~ '[ T](' ~ p.time ~ ')' ~ p.tz ~ '?') }} then {{ streamleap.castable("replace(" ~ t ~ ", 'T', ' ')", streamleap.column_type(col), stream_schema) }} else false end)
  {%- elif f == 'super' -%}
    {{ streamleap.is_json_text(t, stream_schema) }}
  {%- else -%}
    {{ exceptions.raise_compiler_error("streamleap: column " ~ col.name ~ " has unknown family " ~ f) }}
  {%- endif -%}
{%- endmacro %}

{#- An integer column's value from its text t, or NULL when it does not fit: written as a whole
    number (`integer`, at most 20 characters), with a dot and zeros (`dotzero`, its whole part at
    most 20 characters), or in scientific notation naming a whole number (`sci`, at most 20
    characters once written out), within the Redshift type's range (_integer_bounds).
    integer_fits: SQL true when it fits (t not null). Each shape is tested once and converted in its
    own branch. -#}
{% macro integer_value(col, t) -%}{{ return(adapter.dispatch('integer_value', 'streamleap')(col, t)) }}{%- endmacro %}
{% macro integer_fits(col, t) -%}{{ return(adapter.dispatch('integer_fits', 'streamleap')(col, t)) }}{%- endmacro %}

{% macro default__integer_value(col, t) -%}
    {%- set p = streamleap._patterns() -%}
    {%- set b = streamleap._integer_bounds(col) -%}
    {%- set typ = streamleap.column_type(col) -%}
    {%- set whole = "split_part(" ~ t ~ ", '.', 1)" -%}
    {%- set sci = streamleap._sci_digits(t) -%}
  case when {{ streamleap.re_full(t, p.integer) }}
         then case when length({{ t }}) <= 20 then case when cast({{ t }} as decimal(38,0)) between {{ b[0] }} and {{ b[1] }} then cast({{ t }} as {{ typ }}) end end
       when {{ streamleap.re_full(t, p.dotzero) }}
         then case when length({{ whole }}) <= 20 then case when cast({{ whole }} as decimal(38,0)) between {{ b[0] }} and {{ b[1] }} then cast({{ whole }} as {{ typ }}) end end
       when {{ streamleap.re_full(t, p.sci) }}
         then case when {{ streamleap._sci_is_whole(t) }} and length({{ sci }}) <= 20
                   then case when cast({{ sci }} as decimal(38,0)) between {{ b[0] }} and {{ b[1] }} then cast({{ sci }} as {{ typ }}) end end
  end
{%- endmacro %}

{% macro default__integer_fits(col, t) -%}
    {%- set p = streamleap._patterns() -%}
    {%- set b = streamleap._integer_bounds(col) -%}
    {%- set whole = "split_part(" ~ t ~ ", '.', 1)" -%}
    (case when {{ streamleap.re_full(t, p.integer) }}
            then case when length({{ t }}) <= 20 then cast({{ t }} as decimal(38,0)) between {{ b[0] }} and {{ b[1] }} else false end
          when {{ streamleap.re_full(t, p.dotzero) }}
            then case when length({{ whole }}) <= 20 then cast({{ whole }} as decimal(38,0)) between {{ b[0] }} and {{ b[1] }} else false end
          when {{ streamleap.re_full(t, p.sci) }}
            then case when {{ streamleap._sci_is_whole(t) }} and length({{ streamleap._sci_digits(t) }}) <= 20
                      then cast({{ streamleap._sci_digits(t) }} as decimal(38,0)) between {{ b[0] }} and {{ b[1] }} else false end
          else false end)
{%- endmacro %}

{#- DuckDB binds every function call of a statement on its own (tens of microseconds each), so the
    same rule in fewer calls: the whole-number shapes in one pattern (the length limits written
    into it) read by one TRY_CAST to HUGEINT; scientific notation split once (regexp_extract's
    named groups, bound by a lambda) instead of a regular expression per part. A statement of a
    table with a few integer columns planned in a quarter of the time; the same values as
    default__integer_value (tests/test_value_edges.py compares the targets). -#}
{% macro duckdb__integer_value(col, t) -%}
    {%- set p = streamleap._patterns() -%}
    {%- set b = streamleap._integer_bounds(col) -%}
    {%- set typ = streamleap.column_type(col) -%}
  case when regexp_full_match({{ t }}, '([+-][0-9]{1,19}|[0-9]{1,20})([.]0*)?')
         then case when try_cast({{ t }} as hugeint) between {{ b[0] }} and {{ b[1] }} then cast(try_cast({{ t }} as hugeint) as {{ typ }}) end
       when {{ streamleap.re_full(t, p.sci) }}
         then list_transform([regexp_extract({{ t }}, '^(-?)[+]?([0-9]*)[.]?([0-9]*)[eE][+]?([0-9]+)$', ['s', 'i', 'f', 'e'])],
                lambda x: case when length(rtrim(x.f, '0')) <= cast(x.e as integer)
                               then list_transform([x.s || coalesce(nullif(ltrim(x.i || rpad(x.f, cast(x.e as integer), '0'), '0'), ''), '0')],
                                      lambda d: case when length(d) <= 20 then case when try_cast(d as hugeint) between {{ b[0] }} and {{ b[1] }} then cast(d as {{ typ }}) end end)[1] end)[1]
  end
{%- endmacro %}

{% macro duckdb__integer_fits(col, t) -%}
  (({{ streamleap.duckdb__integer_value(col, t) }}) is not null)
{%- endmacro %}

{#- A number in scientific notation (text of the shape `sci`: at most 20 + 20 digits, a two-digit
    exponent) read exactly, as text, on every target: no double in between, whose value differs
    from the text's (1.8446744073709552E19 is 18446744073709551616 as a double) and which Postgres
    turns into a NUMERIC of 15 digits. _sci_digits: the whole number it names, sign and digits
    without leading zeros (read only where _sci_is_whole: the digits past the exponent are 0). -#}
{% macro _sci_mantissa(t) -%}{{ streamleap.re_replace_all(t, '^[+-]|[eE].*$', '') }}{%- endmacro %}
{% macro _sci_exponent(t) -%}cast({{ streamleap.re_replace_all(t, '^.*[eE][+]?', '') }} as integer){%- endmacro %}
{% macro _sci_is_whole(t) -%}
  (length(rtrim(split_part({{ streamleap._sci_mantissa(t) }}, '.', 2), '0')) <= {{ streamleap._sci_exponent(t) }})
{%- endmacro %}
{% macro _sci_digits(t) -%}
  (case when {{ t }} like '-%' then '-' else '' end || coalesce(nullif(ltrim(split_part({{ streamleap._sci_mantissa(t) }}, '.', 1) || rpad(split_part({{ streamleap._sci_mantissa(t) }}, '.', 2), {{ streamleap._sci_exponent(t) }}, '0'), '0'), ''), '0'))
{%- endmacro %}

{#- A float's text (already of the right shape) names a value its type holds: no 1e400 into a
    DOUBLE (an error on Postgres, inf on DuckDB), no 3.5e38 into a REAL, and no non-zero value
    so small that it reads as 0 (1e-400: an error on Postgres, 0 on DuckDB). -#}
{% macro float_in_range(t, col) -%}
  {%- set real = col.types.redshift | upper == 'REAL' -%}
  {%- set limit = '3.4028235e38' if real else '1.7976931348623157e308' -%}
  {#- the smallest positive text each type reads as non-zero: half its least subnormal (DOUBLE
      4.9e-324, REAL 1.4e-45), above which the reader rounds up to it; 5e-324 is a DOUBLE value -#}
  {%- set smallest = '0.8e-45' if real else '2.5e-324' -%}
  {{ return(adapter.dispatch('float_in_range', 'streamleap')(t, streamleap.column_type(col), limit, smallest)) }}
{%- endmacro %}
{% macro default__float_in_range(t, typ, limit, smallest) -%}
  (case when lower({{ t }}) like '%n%' then true
        when try_cast({{ t }} as double precision) is null then false
        when try_cast({{ t }} as double precision) = 0 then {{ streamleap.re_full(t, '[^1-9]*([eE].*)?') }}
        else abs(try_cast({{ t }} as double precision)) between {{ smallest }} and {{ limit }} end)
{%- endmacro %}
{#- Postgres has no TRY_CAST: the text (of the float shape) is read as a NUMERIC, which holds any
    such text exactly. -#}
{% macro postgres__float_in_range(t, typ, limit, smallest) -%}
  (case when lower({{ t }}) like '%n%' then true
        else abs(cast({{ t }} as numeric)) = 0 or abs(cast({{ t }} as numeric)) between {{ smallest }} and {{ limit }} end)
{%- endmacro %}
{#- dbt-redshift falls back to postgres__ macros: Redshift has TRY_CAST (the text is never empty
    here: it has the float shape), which says whether the type holds the value. -#}
{% macro redshift__float_in_range(t, typ, limit, smallest) -%}
  (case when {{ streamleap.re_full(t, '.*[0-9nN].*') }} then try_cast({{ t }} as {{ typ }}) is not null else false end)
{%- endmacro %}

{#- DuckDB's JSON parser reads a number with a fraction as a double: a decimal written as a plain
    JSON number with more than 15 significant digits cannot come back exactly. Such a value (seen
    in the record's raw text) is set aside rather than rounded. A number in scientific notation
    was a double already when DMS wrote it, and comes back as that double. Postgres (jsonb keeps
    numeric) and Redshift need no such check. -#}
{#- The keys of a value: section (a key, or a list of keys: record_format.sql value_section) and name. -#}
{% macro section_keys(section, name) -%}
  {{ return((section if section is not string else [section]) + [name]) }}
{%- endmacro %}

{% macro number_is_exact(col, payload, section) -%}
  {{ return(adapter.dispatch('number_is_exact', 'streamleap')(col, payload, section)) }}
{%- endmacro %}
{% macro default__number_is_exact(col, payload, section) -%}{%- endmacro %}
{#- The regular expression that finds the number of column `name` of `section` as written in a
    record's text (its first group). -#}
{% macro exact_number_pattern(name, section) -%}
  {%- set key = (name | string | replace('\\', '\\\\') | replace('"', '\\"')) -%}
  {%- set sect = ((section[-1] if section is not string and section else section if section is string else '') | string | replace('\\', '\\\\') | replace('"', '\\"')) -%}
  {#- the first "key": after the section's opening brace (a nested object holding the same key
      before the column would be read instead: then the check is conservative or wrong, rarely) -#}
  {%- if section is not string and not section -%}
    {#- a value at the record's top (the flat format) -#}
    {{ return('"\\Q' ~ key ~ '\\E"\\s*:\\s*(-?[0-9][0-9.eE+-]*)') }}
  {%- endif -%}
  {{ return('"\\Q' ~ sect ~ '\\E"\\s*:\\s*\\{.*?"\\Q' ~ key ~ '\\E"\\s*:\\s*(-?[0-9][0-9.eE+-]*)') }}
{%- endmacro %}
{#- col may name, instead of its own name, SQL of the value's JSON type (_sl_json_type) and of
    the pattern (_sl_exact_pattern): a cycle's checks of every table at once (typed_values_sql). -#}
{% macro duckdb__number_is_exact(col, payload, section) -%}
  {%- if col.get('_sl_json_type') -%}
    {%- set json_type = col._sl_json_type -%}
    {%- set pattern = col._sl_exact_pattern -%}
  {%- else -%}
    {%- set json_type = 'json_type(' ~ payload ~ ', ' ~ streamleap._json_pointer(streamleap.section_keys(section, col.name)) ~ ')' -%}
    {%- set pattern = streamleap._string_literal(streamleap.exact_number_pattern(col.name, section)) -%}
  {%- endif -%}
  {#- a CASE, not OR: DuckDB computes both sides of an OR that is not a filter, and the record's text is
      searched only for the numbers that were read as doubles (the value's text is not null here, so
      none of the three tests is NULL) -#}
   and (case when {{ json_type }} <> 'DOUBLE' then true
             when regexp_extract(cast({{ payload }} as varchar), {{ pattern }}, 1) similar to '.*[eE].*' then true
             else length(ltrim(regexp_replace(regexp_extract(cast({{ payload }} as varchar), {{ pattern }}, 1), '[^0-9]', '', 'g'), '0')) <= 15 end)
{%- endmacro %}

{#- true when the text (already of the right shape) is a real value of the type: no 2024-02-30,
    no MySQL zero dates. The shape is checked first, so these run on well-formed text only. -#}
{% macro castable(t, typ, stream_schema) -%}{{ return(adapter.dispatch('castable', 'streamleap')(t, typ, stream_schema)) }}{%- endmacro %}
{% macro duckdb__castable(t, typ, stream_schema) -%}(try_cast({{ t }} as {{ typ }}) is not null){%- endmacro %}
{% macro redshift__castable(t, typ, stream_schema) -%}(try_cast({{ t }} as {{ typ }}) is not null){%- endmacro %}
{#- Postgres has no TRY_CAST, and an exception handler per value is slow: the text's shape is
    already checked, so only the calendar is left: no year 0, no day past the month's last. -#}
{% macro postgres__castable(t, typ, stream_schema) -%}
  (case when {{ t }} ~ '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])'
        then substr({{ t }}, 1, 4) <> '0000'
         and cast(substr({{ t }}, 9, 2) as integer) <= extract(day from make_date(cast(substr({{ t }}, 1, 4) as integer), cast(substr({{ t }}, 6, 2) as integer), 1) + interval '1 month - 1 day')
        else false end)
{%- endmacro %}

{#- The typed value of column col, whose text t was read from the record's `section` ('data' or
    'before-image') of payload. The conversion sits in the THEN branch of its own check, even where
    the caller converts only values that passed value_check (record_problem): a filter in another
    part of the query (`where _sl_problem is null`) is no guard, since no target promises to apply
    it before computing the select list (docs/decisions/0011). adjust=true: a value that does not
    fit becomes `adjust_value` instead of NULL (the same check the set-aside model judges with,
    payload included). -#}
{% macro convert_value(col, t, payload, section, stream_schema, adjust=false) -%}
  {%- set typ = streamleap.column_type(col) -%}
  {%- set f = col.family -%}
  {%- if f == 'super' -%}
    {#- not valid JSON comes out NULL: that is the adjustment too -#}
    {{ streamleap.convert_json(payload, streamleap.section_keys(section, col.name), t, stream_schema) }}
  {%- elif f == 'integer' -%}
    {#- value_check's shapes and ranges; a value that fits none is NULL (adjust_value of an integer
        is NULL too) -#}
  {{ streamleap.integer_value(col, t) }}
  {%- else -%}
  case when {{ streamleap.value_check(col, t, stream_schema, payload if adjust else none, section) }} then {{ streamleap.converted_value(col, t) }}
  else {{ streamleap.adjust_value(col, t) if adjust else 'cast(null as ' ~ typ ~ ')' }} end
  {%- endif -%}
{%- endmacro %}

{#- The typed value of a text t that passed value_check, for the families convert_value converts
    behind that check (not integer or super, whose conversions are their own checks). Unguarded:
    only ever in the THEN branch of a check. -#}
{% macro converted_value(col, t) -%}
  {%- set typ = streamleap.column_type(col) -%}
  {%- set f = col.family -%}
  {%- if f == 'boolean' %}lower({{ t }}) in ('true', '1', 't')
  {%- elif f == 'decimal' and col.scale == 0 %}case when {{ streamleap.re_full(t, streamleap._patterns().sci) }} then cast({{ streamleap._sci_digits(t) }} as {{ typ }}) else cast({{ t }} as {{ typ }}) end
  {%- elif f in ('decimal', 'float', 'date', 'time', 'string', 'timetz') %}cast({{ t }} as {{ typ }})
  {%- elif f == 'binary' %}{{ streamleap.hex_to_bytes(streamleap.re_replace_all(t, '^0x', '')) }}
  {%- elif f == 'timestamp' %}cast(replace({{ t }}, 'T', ' ') as {{ typ }})
  {%- elif f == 'timestamptz' %}cast(replace({{ t }}, 'T', ' ') || case when {{ streamleap.re_full(t, '.*' ~ streamleap._patterns().tz) }} then '' else '+00:00' end as {{ typ }})
  {%- else %}{{ exceptions.raise_compiler_error("streamleap: column " ~ col.name ~ " has no plain conversion (family " ~ f ~ ")") }}
  {%- endif %}
{%- endmacro %}

{#-
  A value that does not fit its column (t is not null and value_check is false), made to fit:
    string  -- cut at the column's byte limit on a character boundary: the longest prefix whose
               UTF-8 bytes fit (`cut_utf8`);
    binary  -- well-formed hex cut at the byte limit; anything else NULL;
    decimal -- rounded half away from zero to the column's scale when its integer part fits
               (`round_decimal`); anything else NULL;
    others  -- NULL: integers, floats, booleans out of range or not well-formed, dates with year
               0, zero dates ('0000-00-00', '2024-00-10'), days past the month's end, infinities,
               time zone offsets the type cannot hold, JSON that does not parse.
  Guarded like convert_value: nothing here can fail the batch.
-#}
{% macro adjust_value(col, t) -%}
  {%- set typ = streamleap.column_type(col) -%}
  {%- if col.family == 'string' -%}
    cast({{ streamleap.cut_utf8(t, col.max_bytes or 65535) }} as {{ typ }})
  {%- elif col.family == 'binary' -%}
    {%- set n = col.max_bytes or 1024000 -%}
    case when {{ streamleap._binary_cuttable(t) }} then {{ streamleap.hex_to_bytes('substr(' ~ streamleap.re_replace_all(t, '^0x', '') ~ ', 1, ' ~ (2 * n) ~ ')') }} end
  {%- elif col.family == 'decimal' -%}
    {{ streamleap.round_decimal(col, t) }}
  {%- else -%}
    cast(null as {{ typ }})
  {%- endif -%}
{%- endmacro %}

{#- What adjust_value did, for the set-aside row: 'cut to N bytes', 'rounded to S decimals' or
    'set to NULL' (SQL text; read off the adjusted value itself, so that the two always agree). -#}
{% macro adjustment_text(col, t) -%}
  {%- if col.family == 'string' -%}
    'cut to {{ col.max_bytes or 65535 }} bytes'
  {%- elif col.family in ('binary', 'decimal') -%}
    case when ({{ streamleap.adjust_value(col, t) }}) is null then 'set to NULL'
         else '{{ ("cut to " ~ (col.max_bytes or 1024000) ~ " bytes") if col.family == "binary" else ("rounded to " ~ col.scale ~ " decimals") }}' end
  {%- else -%}
    'set to NULL'
  {%- endif -%}
{%- endmacro %}

{% macro _binary_cuttable(t) -%}
  {{ streamleap.re_full(t, '(0x)?([0-9a-fA-F]{2})*') }}
{%- endmacro %}

{#- The longest prefix of text t (longer than n bytes) whose UTF-8 bytes fit in n, as text. Byte
    n+1 starts a character unless it is a continuation byte (10xxxxxx); a character has at most
    4 bytes, so the cut is at n, n-1, n-2 or n-3. Only the first n+1 characters are encoded (they
    hold byte n+1). -#}
{% macro cut_utf8(t, n) -%}
  {%- set b = streamleap.utf8_bytes('substr(' ~ t ~ ', 1, ' ~ (n + 1) ~ ')') -%}
  {%- set branches = [] -%}
  {%- for back in range(3) if n + 1 - back >= 1 -%}
    {%- do branches.append('when not ' ~ streamleap.utf8_continuation(b, n + 1 - back) ~ ' then ' ~ (n - back)) -%}
  {%- endfor -%}
  {{ streamleap.utf8_prefix(b, '(case ' ~ (branches | join(' ')) ~ ' else ' ~ ([n - 3, 0] | max) ~ ' end)') }}
{%- endmacro %}

{#- The UTF-8 bytes of a text; whether byte j (1-based) of them is a continuation byte; the text
    of their first m bytes (m on a character boundary). -#}
{% macro utf8_bytes(text) -%}{{ return(adapter.dispatch('utf8_bytes', 'streamleap')(text)) }}{%- endmacro %}
{% macro utf8_continuation(bytes, j) -%}{{ return(adapter.dispatch('utf8_continuation', 'streamleap')(bytes, j)) }}{%- endmacro %}
{% macro utf8_prefix(bytes, m) -%}{{ return(adapter.dispatch('utf8_prefix', 'streamleap')(bytes, m)) }}{%- endmacro %}
{#- DuckDB has no byte functions on BLOB: the bytes as hex text, two ASCII digits per byte -#}
{% macro duckdb__utf8_bytes(text) -%}hex({{ text }}){%- endmacro %}
{% macro duckdb__utf8_continuation(bytes, j) -%}(substr({{ bytes }}, {{ 2 * j - 1 }}, 1) in ('8', '9', 'A', 'B')){%- endmacro %}
{% macro duckdb__utf8_prefix(bytes, m) -%}decode(unhex(substr({{ bytes }}, 1, 2 * {{ m }}))){%- endmacro %}
{% macro postgres__utf8_bytes(text) -%}convert_to({{ text }}, 'UTF8'){%- endmacro %}
{% macro postgres__utf8_continuation(bytes, j) -%}(get_byte({{ bytes }}, {{ j - 1 }}) between 128 and 191){%- endmacro %}
{% macro postgres__utf8_prefix(bytes, m) -%}convert_from(substring({{ bytes }} from 1 for {{ m }}), 'UTF8'){%- endmacro %}
{#- dbt-redshift falls back to postgres__ macros: Redshift has VARBYTE instead (SUBSTRING of a
    VARBYTE counts bytes; a hex text would double past VARCHAR's 65535 bytes) -#}
{% macro redshift__utf8_bytes(text) -%}to_varbyte({{ text }}, 'utf8'){%- endmacro %}
{% macro redshift__utf8_continuation(bytes, j) -%}(substring(to_hex(substring({{ bytes }}, {{ j }}, 1)), 1, 1) in ('8', '9', 'a', 'b', 'A', 'B')){%- endmacro %}
{% macro redshift__utf8_prefix(bytes, m) -%}from_varbyte(substring({{ bytes }}, 1, {{ m }}), 'utf8'){%- endmacro %}

{#- A decimal's text that can be rounded to the column: plain notation with at most p - s integer
    digits (leading zeros aside), or scientific notation of a value whose magnitude is below
    10^(p-s) - 1 (read as a double; rounding cannot then carry past the precision). -#}
{% macro _decimal_roundable(col, t) -%}
  {%- set int_digits = col.precision - col.scale -%}
  {%- set double = {'types': {'redshift': 'DOUBLE PRECISION', 'duckdb': 'DOUBLE', 'postgres': 'double precision'}} -%}
  (case when {{ streamleap.re_full(t, '[+-]?0*[0-9]{0,' ~ int_digits ~ '}([.][0-9]*)?') }}
          then {{ streamleap.re_full(t, '[+-]?[.]?[0-9].*') }}
        when {{ streamleap.re_full(t, '[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)[eE][+-]?[0-9]{1,3}') }}
          then case when {{ streamleap.float_in_range(t, double) }} then abs(cast({{ t }} as double precision)) < 1e{{ int_digits }} - 1 else false end
        else false end)
{%- endmacro %}

{#- A decimal text (not fitting the column) rounded half away from zero to the column's scale:
    the integer part and the first s decimals, cut as text and cast exactly, plus one unit in the
    last place when decimal s+1 is 5 or more (NULL when that would carry past the precision).
    Scientific notation goes through a double. Anything else is NULL. -#}
{% macro round_decimal(col, t) -%}
  {%- set typ = streamleap.column_type(col) -%}
  {%- set p, s = col.precision, col.scale -%}
  {%- set body = streamleap.re_replace_all(t, '^[+-]', '') -%}
  {%- set int_part = "coalesce(nullif(ltrim(split_part(" ~ body ~ ", '.', 1), '0'), ''), '0')" -%}
  {%- set frac = "split_part(" ~ body ~ ", '.', 2)" -%}
  {%- set sign = "case when " ~ t ~ " like '-%' then '-' else '' end" -%}
  {%- set truncated = "cast(" ~ sign ~ " || " ~ int_part ~ ((" || '.' || rpad(substr(" ~ frac ~ ", 1, " ~ s ~ "), " ~ s ~ ", '0')") if s > 0 else '') ~ " as " ~ typ ~ ")" -%}
  {%- set unit = ('0.' ~ ('0' * (s - 1)) ~ '1') if s > 0 else '1' -%}
  {%- set largest = (('9' * (p - s)) or '0') ~ (('.' ~ '9' * s) if s > 0 else '') -%}
  case
    when not {{ streamleap._decimal_roundable(col, t) }} then cast(null as {{ typ }})
    when {{ streamleap.re_full(t, '.*[eE].*') }} then cast(cast({{ t }} as double precision) as {{ typ }})
    when substr({{ frac }}, {{ s + 1 }}, 1) < '5' then {{ truncated }}
    when abs({{ truncated }}) >= cast('{{ largest }}' as {{ typ }}) then cast(null as {{ typ }})
    when {{ t }} like '-%' then cast({{ truncated }} - cast('{{ unit }}' as {{ typ }}) as {{ typ }})
    else cast({{ truncated }} + cast('{{ unit }}' as {{ typ }}) as {{ typ }})
  end
{%- endmacro %}

{#- JSON columns: DMS writes them either as nested JSON or as a string holding JSON text. -#}
{% macro convert_json(payload, keys, t, stream_schema) -%}
  {{ return(adapter.dispatch('convert_json', 'streamleap')(payload, keys, t, stream_schema)) }}
{%- endmacro %}
{% macro redshift__convert_json(payload, keys, t, stream_schema) -%}
  {%- set v = streamleap.json_value(payload, keys) -%}
  case when is_varchar({{ v }}) then case when can_json_parse({{ v }}::varchar) then json_parse({{ v }}::varchar) end else {{ v }} end
{%- endmacro %}
{% macro duckdb__convert_json(payload, keys, t, stream_schema) -%}
  case when json_valid({{ t }}) then cast({{ t }} as json) end
{%- endmacro %}
{% macro postgres__convert_json(payload, keys, t, stream_schema) -%}
  case when {{ streamleap.is_json_text(t, stream_schema) }} then cast({{ t }} as jsonb) end
{%- endmacro %}
