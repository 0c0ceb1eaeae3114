"""`streamleap plan`, `init` and `generate`: a source's tables into a dbt project."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.table import Table
from rich.text import Text

from streamleap.cli.common import console, handle_errors, plan_selection, print_skipped, source_options
from streamleap.errors import StreamleapError



@click.command()
@source_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@handle_errors
def plan(ddl, dialect, source_url, source_schema, tables, exclude_tables, exclude_columns, keys, verbose, as_json):
    """Show the mirror design for every table, creating nothing: mirrored, or refused with the reason and the fix."""
    planned, selection = plan_selection(ddl, dialect, source_url, tables, keys, exclude_tables, exclude_columns, source_schema)
    print_skipped(selection, verbose)
    if as_json:
        click.echo(json.dumps(planned.to_json(), ensure_ascii=False, indent=2))
        return
    for t in planned.tables:
        # Text, not markup: names and types are shown exactly as the source has them ([x] included)
        title = f"{t.source.qualified_name} -> mirror model {t.model_name}  (key: {', '.join(t.primary_key)})"
        if t.source.partitions:
            title += f"  partitioned: {len(t.source.partitions)} partitions apply to this mirror"
        table = Table(title=Text(title), title_justify="left", show_lines=False)
        for col in ("column", "source type", "Redshift type", "nullable", "note"):
            table.add_column(col)
        for c in t.columns:
            table.add_row(*(Text(v) for v in (c.name, c.source_type, c.target.redshift, "yes" if c.nullable else "no", c.target.note)))
        for c in t.left_out:
            table.add_row(*(Text(v) for v in (c.name, "", "(left out)", "", c.reason)))
        console.print(table)
    if planned.refused:
        refused = Table(title=Text(f"{len(planned.refused)} table(s) refused: not mirrored"), title_justify="left")
        for col in ("table", "reason and fix"):
            refused.add_column(col)
        for r in planned.refused:
            refused.add_row(Text(r.qualified_name), Text(r.reason))
        console.print(refused)
    console.print(Text(f"{len(planned.tables)} table(s) mirrored, {len(planned.refused)} refused"))


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--no-deps", is_flag=True, help="Do not run `dbt deps` after scaffolding.")
@handle_errors
def init(directory: Path, no_deps: bool):
    """Scaffold a dbt project wired to the streamleap dbt package."""
    from streamleap.project.scaffold import init_project

    written = init_project(directory)
    for path in written:
        console.print(f"created {path}")
    if not no_deps:
        from streamleap.project.invoke import run_dbt

        run_dbt(["deps"], directory)
    console.print(f"dbt project ready in {directory} (targets: local DuckDB, postgres, redshift). "
                  f"Next: streamleap generate --project-dir {directory} --stream NAME --source-url URL "
                  "(or --ddl FILE --dialect D for a dump)")


@click.command()
@source_options
@click.option("--project-dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="The dbt project (made by streamleap init).")
@click.option("--stream", help="The Kinesis stream DMS writes to (default: stream.name of --config).")
@click.option("--stream-schema", help="The external schema (local: the stand-in schema). "
              "Default: redshift.external_schema of --config, else kinesis.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              help="streamleap.yml: stream name, external schema, tables and exclude_columns come from it.")
@click.option("--stream-kind", type=click.Choice(["kinesis", "kafka"]), default="kinesis", show_default=True,
              help="What --stream names: a Kinesis stream, or a Kafka topic (Amazon MSK, Confluent, Apache Kafka).")
@click.option("--kafka-uri", help="Kafka topics on Redshift: the brokers' bootstrap URI of the external schema FROM KAFKA.")
@click.option("--kafka-authentication", type=click.Choice(["none", "iam", "mtls"]),
              help="Kafka topics on Redshift: the external schema's AUTHENTICATION (default iam).")
@click.option("--kafka-authentication-arn", help="Kafka topics on Redshift, mtls: the ACM certificate's ARN.")
@click.option("--kafka-secret-arn", help="Kafka topics on Redshift, mtls: the Secrets Manager secret's ARN (instead of a certificate).")
@click.option("--format", "record_format", type=click.Choice(["dms", "debezium", "flat"]), default="dms", show_default=True,
              help="The records' format: AWS DMS JSON, Debezium change events (Kafka Connect's JSON converter), or flat rows "
              "(the columns and an op of I/U/D).")
@click.option("--flat-op-field", help="flat: the field holding I, U or D (default op).")
@click.option("--flat-order-field", help="flat: the field holding the change's place in source order, a whole number "
              "(default: the Kinesis partition key).")
@click.option("--flat-table-field", help="flat: the field naming the table (default: the stream carries one table).")
@click.option("--flat-schema-field", help="flat: the field naming the table's schema.")
@click.option("--flat-time-field", help="flat: the field holding the commit time (milliseconds since 1970, or ISO-8601).")
@click.option("--debezium-schemas/--no-debezium-schemas", default=True, show_default=True,
              help="Debezium: the JSON converter's schemas.enable (each event wrapped as {schema, payload}).")
@click.option("--debezium-decimal-handling", "debezium_decimals", type=click.Choice(["precise", "string", "double"]), default="precise",
              show_default=True, help="Debezium: the connector's decimal.handling.mode. precise values past 38 digits cannot be "
              "decoded (they are set aside); string carries any number of digits; double is a JSON number.")
@click.option("--mode", "mode", default="mirror", show_default=True,
              help="What a delete does, for every table: mirror (the row goes) or soft_delete (the row stays, flagged).")
@click.option("--mode-for", "mode_for", metavar="TABLE=MODE[,...]",
              help="Another mode for some tables, e.g. --mode-for orders=soft_delete (the model's streamleap_mode config).")
@handle_errors
def generate(ddl, dialect, source_url, source_schema, tables, exclude_tables, exclude_columns, keys, verbose, project_dir,
             stream, stream_schema, config_path, stream_kind, kafka_uri, kafka_authentication, kafka_authentication_arn,
             kafka_secret_arn, record_format, flat_op_field, flat_order_field, flat_table_field, flat_schema_field, flat_time_field,
             debezium_schemas, debezium_decimals, mode, mode_for):
    """Add the stream's staging view and a mirror model (with docs and tests) per table."""
    msk_cluster_arn = None
    from streamleap.project.scaffold import generate_models

    if config_path:
        from streamleap.aws.config import load_config

        config = load_config(config_path)
        stream = stream or config.stream.name
        stream_schema = stream_schema or config.redshift.external_schema
        if config.stream.kafka:  # a topic of an MSK cluster: Redshift reads it FROM MSK with the cluster's ARN
            stream_kind = "kafka"
            kafka_authentication = kafka_authentication or config.stream.kafka_authentication
            msk_cluster_arn = config.stream.msk_cluster_arn
        tables = tables or ",".join(config.tables) or None
        exclude_columns = exclude_columns or ",".join(config.exclude_columns) or None
    if not stream:
        raise StreamleapError("--stream is required (or --config streamleap.yml, whose stream.name is used)")
    stream_schema = stream_schema or "kinesis"
    result, selection = plan_selection(ddl, dialect, source_url, tables, keys, exclude_tables, exclude_columns, source_schema)
    result.raise_if_refused()
    from streamleap.model.mirror_plan import with_modes

    planned = with_modes(result.tables, mode, mode_for)
    kafka = {"kafka_uri": kafka_uri, "kafka_authentication": kafka_authentication,
             "kafka_authentication_arn": kafka_authentication_arn, "kafka_secret_arn": kafka_secret_arn,
             "msk_cluster_arn": msk_cluster_arn}
    if stream_kind != "kafka" and any(kafka.values()):
        raise StreamleapError("--kafka-uri and --kafka-authentication are for --stream-kind kafka")
    if kafka_authentication == "mtls" and not (kafka_authentication_arn or kafka_secret_arn):
        raise StreamleapError("--kafka-authentication mtls needs --kafka-authentication-arn (an ACM certificate) or --kafka-secret-arn")
    flat = {"op_field": flat_op_field, "order_field": flat_order_field, "table_field": flat_table_field,
            "schema_field": flat_schema_field, "time_field": flat_time_field}
    written = generate_models(project_dir, planned, stream, stream_schema, stream_kind, kafka, record_format, debezium_schemas, flat,
                              debezium_decimals)
    if record_format == "debezium":
        from streamleap.records.debezium import encoded_array_columns

        arrays = encoded_array_columns([t.source for t in planned], debezium_decimals)
        if arrays:
            click.echo(f"note: {len(arrays)} array column(s) hold values Debezium encodes element by element ({', '.join(arrays[:5])}"
                       f"{', ...' if len(arrays) > 5 else ''}): streamleap does not decode them, and records with such an array "
                       "(not empty) are set aside", err=True)
    if record_format == "debezium" and debezium_decimals == "precise":
        from streamleap.records.debezium import wide_decimal_columns

        wide = wide_decimal_columns([t.source for t in planned])
        if wide:
            click.echo(f"note: {len(wide)} column(s) can hold more than 38 digits ({', '.join(wide[:5])}"
                       f"{', ...' if len(wide) > 5 else ''}): Debezium's precise decimals of that size cannot be decoded and their "
                       "records are set aside; run the connector with decimal.handling.mode=string and generate with "
                       "--debezium-decimal-handling string", err=True)
    print_skipped(selection, verbose)
    for path in written:
        console.print(f"wrote {path}")
    if not written:
        console.print("models already up to date")
    console.print(f"{len(planned)} mirror model(s) for stream {stream}: {', '.join(t.model_name for t in planned)}")
