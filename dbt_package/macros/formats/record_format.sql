{#-
  Record formats (docs/decisions/0027): what a stream's records look like, read into the one
  vocabulary the rest of the package is written in, so that the order, the keys, the checks, the
  apply and the set-aside model are the same for every format.

  A format is a stream's (its staging model's config record_format, copied into each mirror's
  streamleap_table.format by `streamleap generate`): {'name': 'dms'} (AWS DMS JSON, the default),
  {'name': 'debezium', 'schemas': true|false} (Debezium change events as Kafka Connect's JSON
  converter writes them, with or without the schema/payload wrapper).

  Reading a record is two steps: `fields` (key paths into the payload, each read into a column of
  its own by json_reader) and `finals` (SQL over those columns giving the vocabulary's columns):
    _sl_op            load | insert | update | delete (a data record); truncate-table (control)
    _sl_record_type   data | control | NULL (not a record of the format)
    _sl_commit_text   the change's source commit time, ISO-8601 text
    _sl_ts_text       the time the producer wrote it, ISO-8601 text
    _sl_trid          the change's place in the source's log (DMS: transaction-record-id;
                      Debezium: 40 digits, below)
    _sl_schema, _sl_table   the source table
    _sl_t<i>, _sl_b<i>      the text of column i's value, of key column i's before-image value,
                            as DMS writes it (Debezium's encodings decoded: _debezium_decode)
  DMS records need no finals: their fields are read straight into those names, so a DMS stream's
  SQL is what it always was.

  Debezium's order is the source position, not the commit time or the arrival
  (docs/research/issue-14-debezium-kafka-facts.md 1.3): Postgres `source.sequence`
  ["<last committed LSN>", "<LSN>"] (the LSN twice when there is no sequence), MySQL/MariaDB the
  binlog file's number, `pos` and `row`; each part as fixed-width digits, 40 in all, where a DMS
  order key has its commit time and transaction-record-id (order_key_sql).
-#}

{% macro record_format(spec) -%}
  {{ return((spec.get('format') if spec else none) or {'name': 'dms'}) }}
{%- endmacro %}

{% macro record_formats() -%}{{ return(['dms', 'debezium', 'flat']) }}{%- endmacro %}

{% macro _dbz_prefix(fmt) -%}{{ return(['payload'] if fmt.get('schemas', true) else []) }}{%- endmacro %}

{#- The metadata of a record: {'fields': [(keys, alias)], 'finals': [(sql, alias)]}. -#}
{% macro format_metadata(fmt) -%}
  {%- if fmt.name == 'dms' -%}
    {{ return({'fields': streamleap._metadata_fields(), 'finals': []}) }}
  {%- elif fmt.name == 'flat' -%}
    {{ return(streamleap._flat_metadata(fmt)) }}
  {%- endif -%}
  {%- set p = streamleap._dbz_prefix(fmt) -%}
  {%- set fields = [] -%}
  {%- for keys, alias in [(['op'], '_sl_d_op'), (['status'], '_sl_d_status'), (['source', 'schema'], '_sl_d_schema'),
                          (['source', 'db'], '_sl_d_db'), (['source', 'table'], '_sl_d_table'), (['source', 'ts_us'], '_sl_d_ts_us'),
                          (['source', 'ts_ms'], '_sl_d_ts_ms'), (['ts_ms'], '_sl_d_env_ts'), (['source', 'lsn'], '_sl_d_lsn'),
                          (['source', 'sequence'], '_sl_d_sequence'), (['source', 'file'], '_sl_d_file'), (['source', 'pos'], '_sl_d_pos'),
                          (['source', 'row'], '_sl_d_row')] -%}
    {%- do fields.append((p + keys, alias)) -%}
  {%- endfor -%}
  {%- set commit_iso = "case when " ~ streamleap.re_full('_sl_d_ts_us', '-?[0-9]{1,18}') ~ " then " ~ streamleap._micros_iso('_sl_d_ts_us', '_sl_d_ts_ms')
                       ~ " when " ~ streamleap.re_full('_sl_d_ts_ms', '-?[0-9]{1,15}') ~ " then " ~ streamleap._micros_iso("_sl_d_ts_ms || '000'", '_sl_d_ts_ms')
                       ~ " else coalesce(_sl_d_ts_ms, _sl_d_ts_us) end" -%}
  {%- set env_iso = "case when " ~ streamleap.re_full('_sl_d_env_ts', '-?[0-9]{1,15}') ~ " then " ~ streamleap._micros_iso("_sl_d_env_ts || '000'", '_sl_d_env_ts')
                    ~ " else _sl_d_env_ts end" -%}
  {%- set finals = [
    ("case _sl_d_op when 'c' then 'insert' when 'u' then 'update' when 'd' then 'delete' when 'r' then 'load'"
     ~ " when 't' then 'truncate-table' when 'm' then 'message' else coalesce(_sl_d_op, case when _sl_d_status is not null then 'transaction' end) end", '_sl_op'),
    ("case when _sl_d_op in ('t', 'm') or (_sl_d_op is null and _sl_d_status in ('BEGIN', 'END')) then 'control'"
     ~ " when _sl_d_op is not null then 'data' end", '_sl_record_type'),
    (commit_iso, '_sl_commit_text'),
    (env_iso, '_sl_ts_text'),
    (streamleap._dbz_position(), '_sl_trid'),
    ('_sl_d_table', '_sl_table'),
    ('coalesce(_sl_d_schema, _sl_d_db)', '_sl_schema'),
  ] -%}
  {{ return({'fields': fields, 'finals': finals}) }}
{%- endmacro %}

{#- ISO-8601 text of a count of microseconds since the epoch (SQL text of at most 18 digits: only
    in the THEN branch of that check, as every cast is), or raw (the field's own text: the check
    then names it) outside years 1-9999. -#}
{% macro _micros_iso(us, raw) -%}
case when cast({{ us }} as bigint) between -62135596800000000 and 253402300799999999
       then replace({{ streamleap.micros_timestamp_text(us) }}, ' ', 'T')
     else {{ raw }} end
{%- endmacro %}

{#- The Debezium change's place in the source's log as 40 digits, or NULL when the event carries
    none (a snapshot read of an incremental snapshot), or 'x' when a part is not a number of the
    width it gets (the record is set aside: _metadata_problem_branches). Postgres: the previous
    commit's LSN (the first of source.sequence), the same for every change of a transaction and
    larger for every later transaction, then the change's LSN, 20 digits each; 1 for the first
    when the connector knows no previous commit (`[null, "<LSN>"]`, the first transaction it
    streams): a change's LSN alone does not order changes of transactions that ran at once, the
    first 21 characters of an order key name its transaction, and zeros there mean a change without
    a place, whose every copy is a change of its own (history.sql). MySQL/MariaDB: the
    binlog file's number (10 digits), pos (10) and row (20); an empty file is none (a snapshot's
    row read without a binlog position). -#}
{% macro _dbz_position() -%}
  {%- set first = "split_part(translate(_sl_d_sequence, '[]\" ', ''), ',', 1)" -%}
  {%- set filenum = "reverse(split_part(reverse(_sl_d_file), '.', 1))" -%}
case when _sl_d_lsn is not null then
       case when not {{ streamleap.re_full('_sl_d_lsn', '[0-9]{1,20}') }} then 'x'
            when _sl_d_sequence is not null and {{ streamleap.re_full(first, '[0-9]{1,20}') }} then lpad({{ first }}, 20, '0') || lpad(_sl_d_lsn, 20, '0')
            else '00000000000000000001' || lpad(_sl_d_lsn, 20, '0') end
     when _sl_d_file <> '' then
       case when {{ streamleap.re_full(filenum, '[0-9]{1,10}') }} and {{ streamleap.re_full('coalesce(_sl_d_pos, \'\')', '[0-9]{1,10}') }}
                 and {{ streamleap.re_full("coalesce(_sl_d_row, '0')", '[0-9]{1,20}') }}
              then lpad({{ filenum }}, 10, '0') || lpad(_sl_d_pos, 10, '0') || lpad(coalesce(_sl_d_row, '0'), 20, '0')
            else 'x' end
end
{%- endmacro %}

{#- A change's order key (change_batch.sql): phase (0 = a snapshot's row, before every change) |
    the source position | the stream's sequence number, by length then text (the tie-break of
    records at one position: re-deliveries). op, commit, digits (the commit time's 20 digits),
    trid, seq: SQL of the record's columns. -#}
{% macro order_key_sql(fmt, op, commit, digits, trid, seq) -%}
  {%- if fmt.name == 'dms' -%}
case when {{ op }} = 'load' and {{ commit }} is null then '0' else '1' end
      || case when {{ commit }} is null then '00000000000000000000' else {{ digits }} end
      || lpad(coalesce({{ trid }}, ''), 20, '0')
      || lpad(cast(length({{ seq }}) as varchar), 3, '0') || {{ seq }}
  {%- else -%}
case when {{ op }} = 'load' then '0' else '1' end
      || coalesce({{ trid }}, '0000000000000000000000000000000000000000')
      || lpad(cast(length({{ seq }}) as varchar), 3, '0') || {{ seq }}
  {%- endif -%}
{%- endmacro %}

{#- The values of a record of spec's table: {'fields', 'finals'} giving _sl_t<i> and _sl_b<i>
    (_texts). is_delete: SQL true for a delete (a Debezium delete has its key in `before`). -#}
{% macro format_values(spec, is_delete, prefix='_sl_') -%}
  {%- set fmt = streamleap.record_format(spec) -%}
  {%- set fields = [] -%}
  {%- set finals = [] -%}
  {%- set texts = {} -%}
  {%- if fmt.name == 'dms' -%}
    {%- for (section, name), alias in streamleap._texts(spec).items() %}{% do fields.append(([section, name], alias)) %}{% endfor -%}
  {%- elif fmt.name == 'flat' -%}
    {#- the row's columns at the top, as DMS writes values; no before-image (a key change comes as D and I) -#}
    {%- for c in spec.columns -%}
      {%- do fields.append(([c.name], prefix ~ 't' ~ loop.index)) -%}
      {%- do texts.update({('data', c.name): prefix ~ 't' ~ loop.index}) -%}
    {%- endfor -%}
    {%- for c in spec.key -%}
      {%- do finals.append(('cast(null as varchar)', prefix ~ 'b' ~ loop.index)) -%}
      {%- do texts.update({(spec.before_image, c.name): prefix ~ 'b' ~ loop.index}) -%}
    {%- endfor -%}
  {%- else -%}
    {%- set p = streamleap._dbz_prefix(fmt) -%}
    {%- set ss = spec.stream_schema -%}
    {%- set key_names = spec.key | map(attribute='name') | list -%}
    {#- why a value cannot be applied (_debezium_undecoded): a delete's key in its before-image, a
        change's every value and the key's before-image (a key change) -#}
    {%- set undecoded = [] -%}
    {%- for c in spec.columns -%}
      {%- set i = loop.index -%}
      {%- set a = prefix ~ 'da' ~ i -%}
      {%- do fields.append((p + ['after', c.name], a)) -%}
      {%- do texts.update({('data', c.name): prefix ~ 't' ~ i}) -%}
      {%- if c.name in key_names -%}
        {%- set b = prefix ~ 'db' ~ (key_names.index(c.name) + 1) -%}
        {%- do fields.append((p + ['before', c.name], b)) -%}
        {%- set raw = 'case when ' ~ is_delete ~ ' then ' ~ b ~ ' else ' ~ a ~ ' end' -%}
      {%- else -%}
        {%- set raw = a -%}
      {%- endif -%}
      {%- set d = streamleap._debezium_decode(c, raw, ss, prefix ~ 'x' ~ i ~ '_') -%}
      {%- do finals.extend(d.pre) -%}
      {%- do finals.append((streamleap._debezium_text(d, raw), prefix ~ 't' ~ i)) -%}
      {%- set why = streamleap._debezium_undecoded(c, d, raw) -%}
      {%- if why and c.name in key_names -%}
        {%- do undecoded.append(why) -%}
      {%- elif why -%}
        {%- do undecoded.append('case when not (' ~ is_delete ~ ') then ' ~ why ~ ' end') -%}
      {%- endif -%}
    {%- endfor -%}
    {%- for c in spec.key -%}
      {%- set b = prefix ~ 'db' ~ loop.index -%}
      {%- set d = streamleap._debezium_decode(c, b, ss, prefix ~ 'y' ~ loop.index ~ '_') -%}
      {%- do finals.extend(d.pre) -%}
      {%- do finals.append((streamleap._debezium_text(d, b), prefix ~ 'b' ~ loop.index)) -%}
      {%- set why = streamleap._debezium_undecoded(c, d, b) -%}
      {%- if why %}{% do undecoded.append(why) %}{% endif -%}
      {%- do texts.update({(spec.before_image, c.name): prefix ~ 'b' ~ loop.index}) -%}
    {%- endfor -%}
    {%- do finals.append(('coalesce(' ~ (undecoded | join(',\n    ')) ~ ')' if undecoded | length > 1 else (undecoded + ['cast(null as varchar)'])[0], prefix ~ 'undecoded')) -%}
    {%- do texts.update({('format', 'undecoded'): prefix ~ 'undecoded'}) -%}
  {%- endif -%}
  {{ return({'fields': fields, 'finals': finals, 'texts': texts}) }}
{%- endmacro %}

{#- Where a column's value is in a record, for the checks that read it as JSON (a JSON column on
    Redshift, numbers as written): (payload, section). -#}
{% macro value_section(spec) -%}
  {%- set fmt = streamleap.record_format(spec) -%}
  {{ return('data' if fmt.name == 'dms' else [] if fmt.name == 'flat' else streamleap._dbz_prefix(fmt) + ['after']) }}
{%- endmacro %}

{#- SQL of a select that reads `fields` from source (a relation or subquery with a payload column)
    and adds `finals` over them: a select list for `select <cols>, <this> from ...`. A final is
    (sql, alias), or (sql, alias, stage) for one that others read: the lowest stage is computed
    first, each later stage over the one before (a value decoded once, not once per use), the
    plain finals last. -#}
{% macro with_finals(inner_sql, finals, alias='_sl_read') -%}
  {%- if not finals -%}{{ return(inner_sql) }}{%- endif -%}
  {%- set stages = [] -%}
  {%- for f in finals if f | length == 3 and f[2] not in stages %}{% do stages.append(f[2]) %}{% endfor -%}
  {%- set sql = namespace(text=inner_sql) -%}
  {%- for stage in (stages | sort) + [none] -%}
    {%- set here = [] -%}
    {%- for f in finals if (f | length == 3 and f[2] == stage) or (stage is none and f | length == 2) %}{% do here.append(f) %}{% endfor -%}
    {%- set name = alias if stage is none else alias ~ stage -%}
    {%- set next -%}
select {{ name }}.*
  {%- for f in here %},
  {{ f[0] }} as {{ f[1] }}
  {%- endfor %}
from (
{{ sql.text }}
) {{ name }}
  {%- if stage is not none %}{{ streamleap._subquery_fence() }}{% endif %}
    {%- endset -%}
    {%- set sql.text = next -%}
  {%- endfor -%}
{{ sql.text }}
{%- endmacro %}

{#- Keeps a stage's select a subquery of its own: Postgres otherwise pulls it up into the next,
    copying each of its expressions to every place that reads it (a decimal's hex, read a dozen
    times, is decoded a dozen times; stages over stages multiply that), where a subquery with an
    OFFSET is planned on its own (https://www.postgresql.org/docs/current/queries-limit.html;
    the planner's is_simple_subquery). Not on DuckDB, which computes a projection's columns once,
    nor on Redshift, whose planner is its own (the golden SQL stays as Redshift documents it). -#}
{% macro _subquery_fence() -%}{{ return(adapter.dispatch('_subquery_fence', 'streamleap')()) }}{%- endmacro %}
{% macro default___subquery_fence() -%}{%- endmacro %}
{% macro redshift___subquery_fence() -%}{%- endmacro %}
{% macro postgres___subquery_fence() %}
offset 0
{%- endmacro %}

{#- ---------------------------------------------------------------- Debezium's value encodings
    A column's value as DMS writes it, from its Debezium encoding (the column spec's `encoding`,
    written by `streamleap generate --format debezium` from the source type: streamleap.records.
    debezium.column_encoding). A value that does not decode (not the encoding's shape, out of
    range, more digits than Redshift holds) or that Debezium could not give (its placeholder for an
    unchanged TOASTed Postgres value) sets its record aside (_debezium_undecoded): never applied
    as its raw text, whatever the column's type. -#}

{#- How column c's raw text t decodes: {'ok': SQL true when t (not null) decodes, or none when t is
    the value as it is; 'value': the decoded text, evaluated only where ok holds; 'pre': the finals
    (with_finals stages) it reads, named from tag}. stream_schema: where the JSON check lives on
    Postgres (is_json_text). -#}
{% macro _debezium_decode(c, t, stream_schema, tag) -%}
  {%- set enc = (c.get('encoding') or 'text') | string -%}
  {%- set name = enc.split(':')[0] -%}
  {%- if name == 'date' -%}
    {{ return({'ok': 'case when ' ~ streamleap.re_full(t, '-?[0-9]{1,7}') ~ ' then cast(' ~ t ~ ' as integer) between -719162 and 2932896 else false end',
               'value': streamleap.epoch_days_text(t), 'pre': []}) }}
  {%- elif name in ('timestamp_ms', 'timestamp_us', 'timestamp_ns') -%}
    {%- set shape, us = streamleap._scaled_micros(t, name) -%}
    {{ return({'ok': 'case when ' ~ streamleap.re_full(t, shape) ~ ' then cast(' ~ us ~ ' as bigint) between -62135596800000000 and 253402300799999999 else false end',
               'value': streamleap.micros_timestamp_text(us), 'pre': []}) }}
  {%- elif name in ('time_ms', 'time_us', 'time_ns', 'interval') -%}
    {#- hours past 23 and negative times too (MySQL TIME, a VARCHAR mirror column), as DMS writes
        them: H:MM:SS, the fraction only when there is one. An interval (Debezium's MicroDuration,
        interval.handling.mode=numeric: a month as 30.4375 days) reads the same way, as hours,
        minutes and seconds, which Postgres and Redshift read back as the same interval. -#}
    {%- set shape, us = streamleap._scaled_micros(t, 'time_us' if name == 'interval' else name) -%}
    {%- set a = 'abs(cast(' ~ us ~ ' as bigint))' -%}
    {%- set div = streamleap.int_div -%}
    {%- set value -%}
case when {{ us }} like '-%' then '-' else '' end
         || case when {{ div(a, '3600000000') }} < 10 then '0' else '' end || cast({{ div(a, '3600000000') }} as varchar)
         || ':' || lpad(cast({{ div(a, '60000000') }} % 60 as varchar), 2, '0')
         || ':' || lpad(cast({{ div(a, '1000000') }} % 60 as varchar), 2, '0')
         || case when {{ a }} % 1000000 <> 0 then '.' || lpad(cast({{ a }} % 1000000 as varchar), 6, '0') else '' end
    {%- endset -%}
    {{ return({'ok': streamleap.re_full(t, shape), 'value': value, 'pre': []}) }}
  {%- elif name == 'decimal' -%}
    {{ return(streamleap._base64_decimal(t, (enc.split(':')[1] if ':' in enc else '0') | int, tag)) }}
  {%- elif name == 'variable_decimal' -%}
    {#- {"scale": s, "value": base64}: read only from a text that parses as JSON -#}
    {%- set json_ok = 'case when ' ~ streamleap.re_full(t, '[{].*[}]') ~ ' then ' ~ streamleap.is_json_text(t, stream_schema) ~ ' else false end' -%}
    {%- set pre = [('case when ' ~ json_ok ~ ' then ' ~ streamleap.text_json_field(t, 'value') ~ ' end', tag ~ 'v', 1),
                   ('case when ' ~ json_ok ~ ' then case when ' ~ streamleap.re_full('coalesce(' ~ streamleap.text_json_field(t, 'scale') ~ ', \'\')', '[0-9]{1,2}')
                    ~ ' then cast(' ~ streamleap.text_json_field(t, 'scale') ~ ' as integer) end end', tag ~ 's', 1)] -%}
    {%- set d = streamleap._base64_decimal(tag ~ 'v', none, tag, tag ~ 's') -%}
    {{ return({'ok': d.ok, 'value': d.value, 'pre': pre + d.pre}) }}
  {%- elif name == 'zoned_timestamp' and c.family == 'timestamp' -%}
    {#- a UTC time (MySQL TIMESTAMP) into a column without a zone, as DMS writes it; the column's
        check refuses anything else -#}
    {{ return({'ok': none, 'value': "case when " ~ t ~ " like '%Z' then replace(substr(" ~ t ~ ", 1, length(" ~ t ~ ") - 1), 'T', ' ') else " ~ t ~ " end", 'pre': []}) }}
  {%- elif name == 'array' -%}
    {#- an array whose elements Debezium encodes (epoch days, base64 decimals, ...): not decoded
        element by element, so only an empty one is its value -#}
    {{ return({'ok': "replace(" ~ t ~ ", ' ', '') = '[]'", 'value': t, 'pre': []}) }}
  {%- elif name == 'bytes' -%}
    {{ return({'ok': 'case when length(' ~ t ~ ') <= ' ~ streamleap._base64_max_length() ~ ' then ' ~ streamleap._is_base64(t) ~ ' else false end',
               'value': streamleap.base64_hex(t), 'pre': []}) }}
  {%- else -%}
    {{ return({'ok': none, 'value': t, 'pre': []}) }}
  {%- endif -%}
{%- endmacro %}

{#- The text of a decoded value d (_debezium_decode) of raw text t: DMS's, or t itself when it
    does not decode (the record is then set aside, _debezium_undecoded). -#}
{% macro _debezium_text(d, t) -%}
  {%- if d.ok is none -%}{{ d.value }}{%- else -%}case when {{ d.ok }} then {{ d.value }} else {{ t }} end{%- endif -%}
{%- endmacro %}

{#- Debezium's placeholder for a value it could not read (unavailable.value.placeholder, its
    default): a string, base64 of its bytes for a binary column, a one-element array for an array
    (https://debezium.io/documentation/reference/stable/connectors/postgresql.html, "toasted values"). -#}
{% macro _dbz_unavailable() -%}
  {{ return(['__debezium_unavailable_value', 'X19kZWJleml1bV91bmF2YWlsYWJsZV92YWx1ZQ==', '["__debezium_unavailable_value"]']) }}
{%- endmacro %}

{#- SQL text: why column c's value (raw text t, decoded d) cannot be applied, or NULL; '' when no
    value of the column can fail here (a number or boolean in a column of its type: the column's
    check judges it). Only strings, binaries and JSON can be TOASTed. -#}
{% macro _debezium_undecoded(c, d, t) -%}
  {%- set enc = (c.get('encoding') or 'text') | string -%}
  {%- set toasted = c.family in ('string', 'binary', 'super') -%}
  {%- if d.ok is none and not toasted -%}{{ return('') }}{%- endif -%}
  {%- set placeholders = [] -%}
  {%- for p in streamleap._dbz_unavailable() %}{% do placeholders.append(streamleap._string_literal(p)) %}{% endfor -%}
case
  {%- if toasted %}
     when {{ t }} in ({{ placeholders | join(', ') }})
       then {{ streamleap._string_literal('column ' ~ c.name ~ ': Debezium did not send its value (an unchanged TOASTed value: REPLICA IDENTITY FULL on the source table sends it)') }}
  {%- endif %}
  {%- if d.ok is not none %}
     when {{ t }} is not null and not ({{ d.ok }})
       then {{ streamleap._string_literal('column ' ~ c.name ~ (': an array of values Debezium encodes (' ~ enc ~ '), which streamleap does not decode'
                                         if enc.startswith('array:') else ': not a Debezium ' ~ enc ~ ' value that fits ' ~ c.types.redshift)) }}
  {%- endif %}
end
{%- endmacro %}

{#- (the shape of a count in the encoding's unit that fits a bigint as microseconds, SQL of those
    microseconds' digits for a text of that shape) -#}
{% macro _scaled_micros(t, name) -%}
  {%- if name.endswith('_ms') -%}
    {{ return(('-?[0-9]{1,15}', t ~ " || '000'")) }}
  {%- elif name.endswith('_ns') -%}
    {#- nanoseconds: the microseconds they hold (Redshift keeps no more): a timestamp's rounded
        down (before 1970 too: -1,500 ns is -2 us), a time's toward zero, as a duration's -#}
    {%- set a = "ltrim(" ~ t ~ ", '-')" -%}
    {%- set whole = "case when length(" ~ a ~ ") <= 3 then '0' else substr(" ~ a ~ ", 1, length(" ~ a ~ ") - 3) end" -%}
    {%- set us -%}
case when {{ t }} like '-%' then '-' || cast(cast({{ whole }} as bigint){% if name.startswith('timestamp') %} + case when right(lpad({{ a }}, 3, '0'), 3) <> '000' then 1 else 0 end{% endif %} as varchar) else {{ whole }} end
    {%- endset -%}
    {{ return(('-?[0-9]{1,21}', '(' ~ us ~ ')')) }}
  {%- else -%}
    {{ return(('-?[0-9]{1,18}', t)) }}
  {%- endif -%}
{%- endmacro %}

{% macro _is_base64(t) -%}
({{ streamleap.re_full(t, '([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?') }})
{%- endmacro %}

{#- The longest base64 text whose bytes' hex a VARCHAR holds: Redshift's VARCHAR takes 65,535
    bytes (32,766 binary bytes as hex); the other targets have no such limit. -#}
{% macro _base64_max_length() -%}{{ return(adapter.dispatch('_base64_max_length', 'streamleap')()) }}{%- endmacro %}
{% macro default___base64_max_length() -%}2147483647{%- endmacro %}
{% macro redshift___base64_max_length() -%}43688{%- endmacro %}

{#- A base64 big-endian two's complement integer t, scaled by `scale` (a number; a negative one,
    Postgres 15's NUMERIC(p,-s), adds zeros) or the column scale_col (an integer, NULL when there
    is none), decoded (_debezium_decode) when it fits 38 digits. Each step reads the one before it,
    in stages (with_finals), every conversion behind the check of its input: the bytes' hex (NULL
    unless t is base64 of at most 16 bytes), then the digits of the magnitude (a negative number's
    is its complement, plus one), only below 10^38 (10^38 - 1 before a negative's one is added). -#}
{% macro _base64_decimal(t, scale, tag, scale_col=none) -%}
  {%- set h, digits = tag ~ 'h', tag ~ 'd' -%}
  {#- the sign, and the magnitude's hex (32 digits): string work on the hex column, where read -#}
  {%- set n = "(substr(" ~ h ~ ", 1, 1) in ('8', '9', 'a', 'b', 'c', 'd', 'e', 'f'))" -%}
  {%- set m = "lpad(case when " ~ n ~ " then translate(" ~ h ~ ", '0123456789abcdef', 'fedcba9876543210') else " ~ h ~ " end, 32, '0')" -%}
  {%- set hex -%}
case when length({{ t }}) between 4 and 24 then case when {{ streamleap._is_base64(t) }} then lower({{ streamleap.base64_hex(t) }}) end end
  {%- endset -%}
  {%- set below -%}
case when {{ h }} is not null and length({{ h }}) <= 32{% if scale_col %} and {{ scale_col }} is not null{% endif %}
       then case when {{ m }} < case when {{ n }} then '4b3b4ca85a86c47a098a223fffffffff' else '4b3b4ca85a86c47a098a224000000000' end
                   then {{ streamleap.hex32_decimal_text(m, n) }} end end
  {%- endset -%}
  {%- set pre = [(hex, h, 2), (below, digits, 3)] -%}
  {%- set s = (scale_col if scale_col else (scale | string)) -%}
  {%- set padded = "(repeat('0', greatest(0, " ~ s ~ " + 1 - length(" ~ digits ~ "))) || " ~ digits ~ ")" -%}
  {%- set value -%}
case when {{ n }} then '-' else '' end
         {%- if not scale_col and scale == 0 %} || {{ digits }}
         {%- elif not scale_col and scale < 0 %} || {{ digits }} || {{ streamleap._string_literal('0' * (0 - scale)) }}
         {%- else %} || substr({{ padded }}, 1, length({{ padded }}) - {{ s }}) || '.' || substr({{ padded }}, length({{ padded }}) - {{ s }} + 1)
         {%- endif %}
  {%- endset -%}
  {{ return({'ok': digits ~ ' is not null', 'value': value, 'pre': pre}) }}
{%- endmacro %}

{#- ---------------------------------------------------------------- per target -#}

{#- 'YYYY-MM-DD' of a count of days since 1970-01-01 (SQL text of an integer in range). -#}
{% macro epoch_days_text(t) -%}{{ return(adapter.dispatch('epoch_days_text', 'streamleap')(t)) }}{%- endmacro %}
{#- as a timestamp: to_char of a date goes through timestamptz, in the session's time zone -#}
{% macro default__epoch_days_text(t) -%}to_char(cast(date '1970-01-01' + cast({{ t }} as integer) as timestamp), 'YYYY-MM-DD'){%- endmacro %}
{% macro duckdb__epoch_days_text(t) -%}strftime(date '1970-01-01' + cast({{ t }} as integer), '%Y-%m-%d'){%- endmacro %}
{% macro redshift__epoch_days_text(t) -%}to_char(dateadd(day, cast({{ t }} as integer), date '1970-01-01'), 'YYYY-MM-DD'){%- endmacro %}

{#- 'YYYY-MM-DD HH:MM:SS.ffffff' of a count of microseconds since the epoch (SQL text of an
    integer, years 1-9999), exact: whole days, seconds and microseconds are added apart (a double
    would round). -#}
{% macro micros_timestamp_text(us) -%}{{ return(adapter.dispatch('micros_timestamp_text', 'streamleap')(us)) }}{%- endmacro %}
{% macro duckdb__micros_timestamp_text(us) -%}strftime(make_timestamp(cast({{ us }} as bigint)), '%Y-%m-%d %H:%M:%S.%f'){%- endmacro %}
{% macro default__micros_timestamp_text(us) -%}
to_char(timestamp '1970-01-01 00:00:00' + (cast({{ us }} as bigint) / 1000000) * interval '1 second'
        + (cast({{ us }} as bigint) % 1000000) * interval '1 microsecond', 'YYYY-MM-DD HH24:MI:SS.US')
{%- endmacro %}
{% macro redshift__micros_timestamp_text(us) -%}
to_char(dateadd(microsecond, cast(cast({{ us }} as bigint) % 1000000 as integer),
          dateadd(second, cast((cast({{ us }} as bigint) / 1000000) % 86400 as integer),
            dateadd(day, cast(cast({{ us }} as bigint) / 86400000000 as integer), timestamp '1970-01-01 00:00:00'))), 'YYYY-MM-DD HH24:MI:SS.US')
{%- endmacro %}

{#- The text of a top-level field of a JSON object given as text. -#}
{% macro text_json_field(t, key) -%}{{ return(adapter.dispatch('text_json_field', 'streamleap')(t, key)) }}{%- endmacro %}
{% macro duckdb__text_json_field(t, key) -%}json_extract_string({{ t }}, {{ streamleap._json_pointer([key]) }}){%- endmacro %}
{% macro default__text_json_field(t, key) -%}(cast({{ t }} as jsonb) ->> {{ streamleap._string_literal(key) }}){%- endmacro %}
{% macro redshift__text_json_field(t, key) -%}json_extract_path_text({{ t }}, {{ streamleap._string_literal(key) }}, true){%- endmacro %}

{#- Lower-case hex of base64 text (checked by _is_base64 first). -#}
{% macro base64_hex(t) -%}{{ return(adapter.dispatch('base64_hex', 'streamleap')(t)) }}{%- endmacro %}
{% macro duckdb__base64_hex(t) -%}lower(hex(try(from_base64({{ t }})))){%- endmacro %}
{% macro default__base64_hex(t) -%}encode(decode({{ t }}, 'base64'), 'hex'){%- endmacro %}
{% macro redshift__base64_hex(t) -%}from_varbyte(to_varbyte({{ t }}, 'base64'), 'hex'){%- endmacro %}

{#- The decimal digits of the unsigned 32-hex-digit h (below 10^38), plus one when plus_one (SQL
    boolean): four 8-digit chunks, by Horner's rule. -#}
{% macro hex32_decimal_text(h, plus_one) -%}{{ return(adapter.dispatch('hex32_decimal_text', 'streamleap')(h, plus_one)) }}{%- endmacro %}
{% macro default__hex32_decimal_text(h, plus_one) -%}
  {%- set c = [] -%}
  {%- for i in range(4) %}{% do c.append("cast(('x' || lpad(substr(" ~ h ~ ", " ~ (8 * i + 1) ~ ", 8), 16, '0'))::bit(64)::bigint as numeric)") %}{% endfor -%}
cast(((({{ c[0] }} * 4294967296 + {{ c[1] }}) * 4294967296 + {{ c[2] }}) * 4294967296 + {{ c[3] }}) + case when {{ plus_one }} then 1 else 0 end as varchar)
{%- endmacro %}
{% macro duckdb__hex32_decimal_text(h, plus_one) -%}
  {%- set c = [] -%}
  {%- for i in range(4) %}{% do c.append("cast(('0x' || substr(" ~ h ~ ", " ~ (8 * i + 1) ~ ", 8)) as hugeint)") %}{% endfor -%}
cast(((({{ c[0] }} * 4294967296 + {{ c[1] }}) * 4294967296 + {{ c[2] }}) * 4294967296 + {{ c[3] }}) + case when {{ plus_one }} then 1 else 0 end as varchar)
{%- endmacro %}
{% macro redshift__hex32_decimal_text(h, plus_one) -%}
  {%- set c = [] -%}
  {%- for i in range(4) %}{% do c.append("cast(strtol(substr(" ~ h ~ ", " ~ (8 * i + 1) ~ ", 8), 16) as decimal(38,0))") %}{% endfor -%}
cast(((({{ c[0] }} * 4294967296 + {{ c[1] }}) * 4294967296 + {{ c[2] }}) * 4294967296 + {{ c[3] }}) + case when {{ plus_one }} then 1 else 0 end as varchar)
{%- endmacro %}

{#- _metadata_problem_branches of a Debezium record: its op, times (read from numbers into ISO
    text: a text that is not one is the field's own, not a number) and position. -#}
{% macro _debezium_problem_branches(op, texts) -%}
  {%- set commit = texts.get(('metadata', 'commit-timestamp')) -%}
  {%- set ts = texts.get(('metadata', 'timestamp')) -%}
  {%- set pos = texts.get(('metadata', 'transaction-record-id')) -%}
    when {{ op }} is null or {{ op }} not in ('load', 'insert', 'update', 'delete')
      then case when {{ op }} = 'not-sent' then {{ streamleap.not_sent_reason() }} else 'unknown Debezium op ' || coalesce({{ op }}, '(missing)') end
    {%- if commit and ts %}
    when {{ commit }} is null and {{ ts }} is null
      then 'source.ts_ms is missing'
    {%- endif %}
    {%- if commit %}
    when {{ commit }} is not null and not {{ streamleap.re_full(commit, '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[.][0-9]{6}') }}
      then 'source.ts_ms is not a number of milliseconds since 1970 (years 1-9999)'
    {%- endif %}
    {%- if ts %}
    when {{ ts }} is not null and not {{ streamleap.re_full(ts, '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[.][0-9]{6}') }}
      then 'ts_ms is not a number of milliseconds since 1970 (years 1-9999)'
    {%- endif %}
    {%- if pos %}
    when {{ pos }} is null and {{ op }} <> 'load'
      then 'the source position is missing (source.lsn, or source.file and source.pos)'
    when {{ pos }} is not null and not {{ streamleap.re_full(pos, '[0-9]{40}') }}
      then 'the source position is not whole numbers (source.lsn and source.sequence, or source.file, pos and row)'
    {%- endif %}
{%- endmacro %}

{#- a // b of two integers (DuckDB's / divides as doubles) -#}
{% macro int_div(a, b) -%}{{ return(adapter.dispatch('int_div', 'streamleap')(a, b)) }}{%- endmacro %}
{% macro default__int_div(a, b) -%}({{ a }} / {{ b }}){%- endmacro %}
{% macro duckdb__int_div(a, b) -%}({{ a }} // {{ b }}){%- endmacro %}

{#- ---------------------------------------------------------------- the flat format
    A row's columns at the top of the record, with an operation field (op_field, default 'op': I,
    U or D) and the change's place in the source's order: a field holding a whole number (order_field,
    e.g. a log position, Debezium ExtractNewRecordState's __lsn), or without one the Kinesis partition
    key (the sequence number a producer put there). The table: a field (table_field, schema_field),
    or the one table the stream carries (the format's table and schema, which generate writes). The
    commit time: a field (time_field) of milliseconds since 1970 or ISO-8601 text; none without one.
    The place: a 1, then the number in 39 digits (never zeros, which mean "no place": history.sql). -#}
{% macro _flat_metadata(fmt) -%}
  {%- set fields = [([fmt.get('op_field') or 'op'], '_sl_f_op')] -%}
  {%- if fmt.get('order_field') %}{% do fields.append(([fmt.order_field], '_sl_f_order')) %}{% endif -%}
  {%- if fmt.get('table_field') %}{% do fields.append(([fmt.table_field], '_sl_f_table')) %}{% endif -%}
  {%- if fmt.get('schema_field') %}{% do fields.append(([fmt.schema_field], '_sl_f_schema')) %}{% endif -%}
  {%- if fmt.get('time_field') %}{% do fields.append(([fmt.time_field], '_sl_f_time')) %}{% endif -%}
  {%- set order = '_sl_f_order' if fmt.get('order_field') else 'partition_key' -%}
  {%- set time = "case when " ~ streamleap.re_full('_sl_f_time', '-?[0-9]{1,15}') ~ " then " ~ streamleap._micros_iso("_sl_f_time || '000'", '_sl_f_time')
                 ~ " else _sl_f_time end" if fmt.get('time_field') else 'cast(null as varchar)' -%}
  {%- set finals = [
    ("case upper(_sl_f_op) when 'I' then 'insert' when 'U' then 'update' when 'D' then 'delete' else _sl_f_op end", '_sl_op'),
    ("case when _sl_f_op is not null then 'data' end", '_sl_record_type'),
    (time, '_sl_commit_text'),
    ('cast(null as varchar)', '_sl_ts_text'),
    ("case when " ~ streamleap.re_full(order, '[0-9]{1,39}') ~ " then '1' || lpad(" ~ order ~ ", 39, '0') else 'x' end", '_sl_trid'),
    ('_sl_f_table' if fmt.get('table_field') else streamleap._string_literal(fmt.get('table') or ''), '_sl_table'),
    ('_sl_f_schema' if fmt.get('schema_field') else streamleap._string_literal(fmt.get('schema') or ''), '_sl_schema'),
  ] -%}
  {{ return({'fields': fields, 'finals': finals}) }}
{%- endmacro %}

{#- _metadata_problem_branches of a flat record -#}
{% macro _flat_problem_branches(op, texts, fmt) -%}
  {%- set commit = texts.get(('metadata', 'commit-timestamp')) -%}
  {%- set pos = texts.get(('metadata', 'transaction-record-id')) -%}
  {%- set p = streamleap._patterns() -%}
    when {{ op }} is null or {{ op }} not in ('insert', 'update', 'delete')
      then {{ streamleap._string_literal('unknown ' ~ (fmt.get('op_field') or 'op') ~ ' ') }} || coalesce({{ op }}, '(missing)') || ' (I, U or D)'
    {%- if pos %}
    when {{ pos }} is null or not {{ streamleap.re_full(pos, '[0-9]{40}') }}
      then {{ streamleap._string_literal(('the order field ' ~ fmt.order_field if fmt.get('order_field') else 'the partition key')
                                          ~ ' is not a whole number of at most 39 digits') }}
    {%- endif %}
    {%- if commit and fmt.get('time_field') %}
    when {{ commit }} is not null and not (case when {{ streamleap.re_full(commit, p.date ~ '[ T](' ~ p.clock ~ ')' ~ p.tz ~ '?') }}
                                               then {{ streamleap.castable('substr(' ~ commit ~ ', 1, 10)', 'date', 'unused') }} else false end)
      then {{ streamleap._string_literal(fmt.time_field ~ ' is neither milliseconds since 1970 nor an ISO-8601 time') }}
    {%- endif %}
{%- endmacro %}
