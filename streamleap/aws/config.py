"""``streamleap.yml``: the one file the AWS wiring reads (and the dbt project picks settings from).

``load_config(path)`` validates the whole file and raises ConfigError with one line per
problem, each naming the key and what is allowed. Secrets never live in the file: the source
password comes from an environment variable (``password_env``) or a Secrets Manager secret
(``secret_arn``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from streamleap.errors import StreamleapError

DEFAULT_CONFIG = "streamleap.yml"

ENGINES = {  # config engine -> DMS EngineName
    "mysql": "mysql",
    "mariadb": "mariadb",
    "aurora-mysql": "aurora",
    "postgres": "postgres",
    "aurora-postgresql": "aurora-postgresql",
}
POSTGRES_ENGINES = ("postgres", "aurora-postgresql")
SSL_MODES = ("none", "require", "verify-ca", "verify-full")
STREAM_MODES = ("on_demand", "provisioned")

_STREAM_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")
_TOPIC_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,249}$")
_BROKERS = re.compile(r"^[A-Za-z0-9.-]+:\d{1,5}(,[A-Za-z0-9.-]+:\d{1,5})*$")
_MSK_CLUSTER = re.compile(r"^arn:aws[a-z-]*:kafka:[a-z0-9-]+:\d{12}:cluster/[^/]+/[^/]+$")
_SECRET_ARN = re.compile(r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_INSTANCE_CLASS = re.compile(r"^dms\.[a-z0-9]+\.[a-z0-9]+$")
_KMS_KEY = re.compile(r"^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)/.+|alias/.+|[0-9a-f-]{36})$")
_TAG_KEY = re.compile(r"^[\w.:/=+\-@ ]{1,128}$")
_TABLE = re.compile(r"^[^.]+\.[^.]+$")


class ConfigError(StreamleapError):
    """Invalid streamleap.yml; ``problems`` holds one line per problem."""

    def __init__(self, path: str, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(f"{path}: {p}" for p in problems))


@dataclass(frozen=True)
class SourceConfig:
    engine: str
    host: str
    port: int
    database: str
    username: str
    password_env: str | None = None
    secret_arn: str | None = None
    ssl_mode: str = "none"

    @property
    def dms_engine(self) -> str:
        return ENGINES[self.engine]

    @property
    def is_postgres(self) -> bool:
        return self.engine in POSTGRES_ENGINES


@dataclass(frozen=True)
class StreamConfig:
    name: str
    mode: str = "on_demand"
    shards: int | None = None
    retention_hours: int = 24
    kms_key: str | None = None
    # kind kafka: name is a topic of an Amazon MSK cluster (made by you): DMS writes to it through
    # kafka_bootstrap, Redshift reads it through msk_cluster_arn with kafka_authentication
    kind: str = "kinesis"
    kafka_bootstrap: str | None = None
    msk_cluster_arn: str | None = None
    kafka_authentication: str = "iam"

    @property
    def kafka(self) -> bool:
        return self.kind == "kafka"


@dataclass(frozen=True)
class DmsConfig:
    replication_instance_class: str | None = "dms.t3.medium"
    allocated_storage_gb: int = 50
    engine_version: str | None = None
    multi_az: bool = False
    publicly_accessible: bool = False
    subnet_group: str | None = None
    security_group_ids: tuple[str, ...] = ()
    serverless_max_capacity_units: int | None = None
    serverless_min_capacity_units: int | None = None
    lob_max_size_kb: int = 64

    @property
    def serverless(self) -> bool:
        return self.serverless_max_capacity_units is not None


@dataclass(frozen=True)
class RedshiftConfig:
    workgroup: str | None = None
    cluster_identifier: str | None = None
    external_schema: str = "kinesis"


@dataclass(frozen=True)
class AwsConfig:
    source: SourceConfig
    tables: tuple[str, ...]
    stream: StreamConfig
    dms: DmsConfig
    redshift: RedshiftConfig
    region: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    path: str = DEFAULT_CONFIG
    # a partitioned Postgres table (schema.table) -> its partitions (schema.table), every level:
    # DMS reads partitions as tables of their own, so the task selects them by name
    partitions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # schema.table.column names DMS never reads (a remove-column transformation per column)
    exclude_columns: tuple[str, ...] = ()

    def table_parts(self) -> list[tuple[str, str]]:
        """``(schema, table)`` for each configured table (MySQL: database, table)."""
        return [tuple(t.split(".", 1)) for t in self.tables]  # type: ignore[misc]

    def partition_parts(self, table: str) -> list[tuple[str, str]]:
        """``(schema, table)`` of each partition listed for ``table`` (schema.table)."""
        return [tuple(t.split(".", 1)) for t in self.partitions.get(table, ())]  # type: ignore[misc]

    def excluded_parts(self) -> list[tuple[str, str, str]]:
        """``(schema, table, column)`` for each excluded column."""
        return [tuple(c.split(".", 2)) for c in self.exclude_columns]  # type: ignore[misc]


# --- loading ----------------------------------------------------------------------------------

_ALLOWED = {
    None: {"source", "tables", "stream", "dms", "redshift", "region", "tags", "partitions", "exclude_columns"},
    "source": {"engine", "host", "port", "database", "username", "password_env", "secret_arn", "ssl_mode"},
    "stream": {"name", "mode", "shards", "retention_hours", "kms_key", "kind", "kafka_bootstrap", "msk_cluster_arn",
               "kafka_authentication"},
    "dms": {"replication_instance_class", "allocated_storage_gb", "engine_version", "multi_az",
            "publicly_accessible", "subnet_group", "security_group_ids", "serverless", "lob_max_size_kb"},
    "dms.serverless": {"max_capacity_units", "min_capacity_units"},
    "redshift": {"workgroup", "cluster_identifier", "external_schema"},
}
# DMS Serverless capacity units (DCU) it accepts
_DCU = (1, 2, 4, 8, 16, 32, 64, 128, 192, 256, 384)


class _Problems:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, key: str, message: str) -> None:
        self.lines.append(f"{key}: {message}")


def load_config(path: str | Path = DEFAULT_CONFIG) -> AwsConfig:
    path = Path(path)
    shown = str(path)
    if not path.exists():
        raise StreamleapError(f"{shown}: no such file; write one with `streamleap aws init-config`")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(shown, [f"not valid YAML{where}: {getattr(exc, 'problem', None) or exc}"]) from None
    return parse_config(raw, shown)


def parse_config(raw: Any, shown: str = DEFAULT_CONFIG) -> AwsConfig:
    p = _Problems()
    if not isinstance(raw, dict):
        raise ConfigError(shown, ["the file must be a mapping with keys source, tables, stream, dms, redshift"])
    _unknown(raw, None, p)
    for key in ("source", "tables", "stream", "redshift"):
        if key not in raw:
            p.add(key, "is required")
    source = _source(_section(raw, "source", p), p)
    tables = _tables(raw.get("tables"), p) if "tables" in raw else ()
    partitions = _partitions(raw.get("partitions"), tables, p) if raw.get("partitions") is not None else {}
    exclude_columns = _exclude_columns(raw.get("exclude_columns"), tables, p) if raw.get("exclude_columns") is not None else ()
    stream = _stream(_section(raw, "stream", p), p)
    dms = _dms(_section(raw, "dms", p), p)
    redshift = _redshift(_section(raw, "redshift", p), p)
    region = raw.get("region")
    if region is not None and not (isinstance(region, str) and re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", region)):
        p.add("region", f"{region!r} is not an AWS region name (like us-east-1)")
    tags = raw.get("tags") or {}
    if not isinstance(tags, dict) or not all(isinstance(k, str) and _TAG_KEY.match(k) and isinstance(v, (str, int))
                                             for k, v in tags.items()):
        p.add("tags", "must map tag names (up to 128 characters) to strings")
        tags = {}
    elif any(k.lower().startswith(("aws:", "streamleap:")) for k in tags):
        p.add("tags", "names starting with aws: or streamleap: are reserved")
    if p.lines:
        raise ConfigError(shown, p.lines)
    return AwsConfig(source, tables, stream, dms, redshift, region, {k: str(v) for k, v in tags.items()}, shown,
                     partitions, exclude_columns)


def _section(raw: dict, key: str, p: _Problems) -> dict:
    value = raw.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        p.add(key, "must be a mapping")
        return {}
    _unknown(value, key, p)
    return value


def _unknown(value: dict, section: str | None, p: _Problems) -> None:
    allowed = _ALLOWED[section]
    for key in value:
        if section == "source" and key == "password":
            continue  # its own line, in _source
        if key not in allowed:
            where = f"{section}.{key}" if section else str(key)
            p.add(where, "unknown key; allowed: " + ", ".join(sorted(allowed)))


def _text(section: dict, key: str, where: str, p: _Problems, required: bool = True) -> str | None:
    value = section.get(key)
    if value is None:
        if required:
            p.add(f"{where}.{key}", "is required")
        return None
    if not isinstance(value, str) or not value.strip():
        p.add(f"{where}.{key}", "must be a non-empty string")
        return None
    return value


def _int(section: dict, key: str, where: str, p: _Problems, low: int, high: int, default: int | None) -> int | None:
    value = section.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        p.add(f"{where}.{key}", f"must be a whole number from {low} to {high}")
        return default
    return value


def _bool(section: dict, key: str, where: str, p: _Problems, default: bool) -> bool:
    value = section.get(key, default)
    if not isinstance(value, bool):
        p.add(f"{where}.{key}", "must be true or false")
        return default
    return value


def _source(s: dict, p: _Problems) -> SourceConfig:
    engine = s.get("engine")
    if engine not in ENGINES:
        p.add("source.engine", f"{engine!r} is not supported; use one of " + ", ".join(ENGINES))
        engine = "mysql"
    host = _text(s, "host", "source", p) or ""
    default_port = 5432 if engine in POSTGRES_ENGINES else 3306
    port = _int(s, "port", "source", p, 1, 65535, default_port) or default_port
    database = _text(s, "database", "source", p) or ""
    username = _text(s, "username", "source", p) or ""
    password_env = _text(s, "password_env", "source", p, required=False)
    secret_arn = _text(s, "secret_arn", "source", p, required=False)
    if password_env and secret_arn:
        p.add("source", "set password_env or secret_arn, not both")
    elif not password_env and not secret_arn:
        p.add("source.password_env", "is required (the name of an environment variable holding the password), "
                                     "or set source.secret_arn to a Secrets Manager secret")
    if "password" in s:
        p.add("source.password", "passwords do not belong in the file; put it in an environment variable "
                                 "named by source.password_env, or in Secrets Manager (source.secret_arn)")
    if password_env and not _ENV_NAME.match(password_env):
        p.add("source.password_env", f"{password_env!r} is not an environment variable name")
    if secret_arn and not _SECRET_ARN.match(secret_arn):
        p.add("source.secret_arn", "must be a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)")
    ssl_mode = s.get("ssl_mode", "none")
    if ssl_mode not in SSL_MODES:
        p.add("source.ssl_mode", f"{ssl_mode!r} is not allowed; use one of " + ", ".join(SSL_MODES))
        ssl_mode = "none"
    return SourceConfig(engine, host, port, database, username, password_env, secret_arn, ssl_mode)


def _tables(value: Any, p: _Problems) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        p.add("tables", "must be a non-empty list of schema.table names (MySQL: database.table)")
        return ()
    seen: list[str] = []
    for i, name in enumerate(value):
        if not isinstance(name, str) or not _TABLE.match(name) or "%" in name:
            p.add(f"tables[{i}]", f"{name!r} must be schema.table (MySQL: database.table), without wildcards")
        elif name in seen:
            p.add(f"tables[{i}]", f"{name!r} is listed twice")
        else:
            seen.append(name)
    return tuple(seen)


def _partitions(value: Any, tables: tuple[str, ...], p: _Problems) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        p.add("partitions", "must map a partitioned table (schema.table, listed in tables:) to the list of its "
                            "partitions (schema.table each)")
        return {}
    out: dict[str, tuple[str, ...]] = {}
    for parent, names in value.items():
        where = f"partitions.{parent}"
        if parent not in tables:
            p.add(where, f"{parent!r} is not in tables: (list the partitioned table itself there)")
            continue
        if not isinstance(names, list) or not names:
            p.add(where, "must be a non-empty list of schema.table partition names")
            continue
        seen: list[str] = []
        for i, name in enumerate(names):
            if not isinstance(name, str) or not _TABLE.match(name) or "%" in name:
                p.add(f"{where}[{i}]", f"{name!r} must be schema.table, without wildcards")
            elif name in tables:
                p.add(f"{where}[{i}]", f"{name!r} is in tables: too; a partition is part of its table, list it here only")
            elif name not in seen:
                seen.append(name)
        out[parent] = tuple(seen)
    return out


def _exclude_columns(value: Any, tables: tuple[str, ...], p: _Problems) -> tuple[str, ...]:
    if not isinstance(value, list):
        p.add("exclude_columns", "must be a list of schema.table.column names")
        return ()
    out: list[str] = []
    for i, name in enumerate(value):
        parts = name.split(".") if isinstance(name, str) else []
        if len(parts) != 3 or not all(parts) or "%" in name:
            p.add(f"exclude_columns[{i}]", f"{name!r} must be schema.table.column (MySQL: database.table.column), "
                                           "without wildcards")
        elif f"{parts[0]}.{parts[1]}" not in tables:
            p.add(f"exclude_columns[{i}]", f"{name!r}: table {parts[0]}.{parts[1]} is not in tables:")
        elif name not in out:
            out.append(name)
    return tuple(out)


def _stream(s: dict, p: _Problems) -> StreamConfig:
    name = _text(s, "name", "stream", p) or ""
    if name and not _STREAM_NAME.match(name):
        p.add("stream.name", "must be 1-128 characters of letters, digits, _ . -")
    mode = s.get("mode", "on_demand")
    if mode not in STREAM_MODES:
        p.add("stream.mode", f"{mode!r} is not allowed; use on_demand or provisioned")
        mode = "on_demand"
    shards = _int(s, "shards", "stream", p, 1, 10000, None)
    if mode == "provisioned" and shards is None:
        p.add("stream.shards", "is required when stream.mode is provisioned (a whole number of shards)")
    if mode == "on_demand" and "shards" in s:
        p.add("stream.shards", "only applies to stream.mode: provisioned (on_demand scales by itself)")
    retention = _int(s, "retention_hours", "stream", p, 24, 8760, 24) or 24
    kms_key = _text(s, "kms_key", "stream", p, required=False)
    if kms_key and not _KMS_KEY.match(kms_key):
        p.add("stream.kms_key", "must be a KMS key id, key ARN or alias (alias/...)")
    kind = s.get("kind", "kinesis")
    if kind not in ("kinesis", "kafka"):
        p.add("stream.kind", f"{kind!r} is not allowed; use kinesis or kafka (a topic of an Amazon MSK cluster)")
        kind = "kinesis"
    kafka_keys = ("kafka_bootstrap", "msk_cluster_arn", "kafka_authentication")
    if kind == "kinesis":
        for key in kafka_keys:
            if key in s:
                p.add(f"stream.{key}", "only applies to stream.kind: kafka")
        return StreamConfig(name, mode, shards, retention, kms_key)
    for key in ("mode", "shards", "retention_hours", "kms_key"):
        if key in s:
            p.add(f"stream.{key}", "is a Kinesis stream's; stream.kind kafka names a topic of your MSK cluster")
    bootstrap = _text(s, "kafka_bootstrap", "stream", p) or ""
    if bootstrap and not _BROKERS.match(bootstrap):
        p.add("stream.kafka_bootstrap", "must be host:port[,host:port...] (the cluster's bootstrap brokers for TLS, port 9094)")
    cluster = _text(s, "msk_cluster_arn", "stream", p) or ""
    if cluster and not _MSK_CLUSTER.match(cluster):
        p.add("stream.msk_cluster_arn", "must be an MSK cluster ARN (arn:aws:kafka:REGION:ACCOUNT:cluster/NAME/UUID)")
    authentication = s.get("kafka_authentication", "iam")
    if authentication not in ("iam", "none"):
        p.add("stream.kafka_authentication", f"{authentication!r} is not allowed; use iam or none (how Redshift connects)")
        authentication = "iam"
    if name and not _TOPIC_NAME.match(name):
        p.add("stream.name", "a Kafka topic name: 1-249 characters of letters, digits, _ . -")
    return StreamConfig(name, kind=kind, kafka_bootstrap=bootstrap, msk_cluster_arn=cluster, kafka_authentication=authentication)


def _dms(s: dict, p: _Problems) -> DmsConfig:
    serverless = s.get("serverless")
    max_dcu = min_dcu = None
    if serverless is not None:
        if not isinstance(serverless, dict):
            p.add("dms.serverless", "must be a mapping with max_capacity_units")
        else:
            _unknown(serverless, "dms.serverless", p)
            max_dcu, min_dcu = serverless.get("max_capacity_units"), serverless.get("min_capacity_units")
            for key, value in (("max_capacity_units", max_dcu), ("min_capacity_units", min_dcu)):
                if (value is not None or key == "max_capacity_units") and value not in _DCU:
                    p.add(f"dms.serverless.{key}", "must be one of " + ", ".join(map(str, _DCU)))
            if isinstance(max_dcu, int) and isinstance(min_dcu, int) and min_dcu > max_dcu:
                p.add("dms.serverless.min_capacity_units", "must not exceed max_capacity_units")
            if "replication_instance_class" in s:
                p.add("dms", "set replication_instance_class or serverless, not both")
            max_dcu = max_dcu or 4
    instance_class = s.get("replication_instance_class", None if serverless is not None else "dms.t3.medium")
    if instance_class is not None and not (isinstance(instance_class, str) and _INSTANCE_CLASS.match(instance_class)):
        p.add("dms.replication_instance_class", f"{instance_class!r} is not a DMS instance class (like dms.t3.medium)")
    groups = s.get("security_group_ids", [])
    if not isinstance(groups, list) or not all(isinstance(g, str) and g.startswith("sg-") for g in groups):
        p.add("dms.security_group_ids", "must be a list of security group ids (sg-...)")
        groups = []
    return DmsConfig(
        replication_instance_class=instance_class,
        allocated_storage_gb=_int(s, "allocated_storage_gb", "dms", p, 5, 6144, 50) or 50,
        engine_version=_text(s, "engine_version", "dms", p, required=False),
        multi_az=_bool(s, "multi_az", "dms", p, False),
        publicly_accessible=_bool(s, "publicly_accessible", "dms", p, False),
        subnet_group=_text(s, "subnet_group", "dms", p, required=False),
        security_group_ids=tuple(groups),
        serverless_max_capacity_units=max_dcu,
        serverless_min_capacity_units=min_dcu,
        lob_max_size_kb=_int(s, "lob_max_size_kb", "dms", p, 1, 1024, 64) or 64,
    )


def _redshift(s: dict, p: _Problems) -> RedshiftConfig:
    workgroup = _text(s, "workgroup", "redshift", p, required=False)
    cluster = _text(s, "cluster_identifier", "redshift", p, required=False)
    if bool(workgroup) == bool(cluster) and "workgroup" not in s and "cluster_identifier" not in s:
        p.add("redshift", "set workgroup (Redshift Serverless) or cluster_identifier (provisioned)")
    elif workgroup and cluster:
        p.add("redshift", "set workgroup or cluster_identifier, not both")
    schema = s.get("external_schema", "kinesis")
    if not isinstance(schema, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]{0,126}", schema):
        p.add("redshift.external_schema", "must be a Redshift schema name (letters, digits, _ and $; up to 127)")
        schema = "kinesis"
    return RedshiftConfig(workgroup, cluster, schema)


# --- the template -----------------------------------------------------------------------------

TEMPLATE = """\
# streamleap.yml: one file for the AWS wiring (`streamleap aws plan|apply|status|destroy`)
# and the dbt project (external schema and IAM role). No secrets in this file.

# region: us-east-1          # else --region, AWS_REGION or your AWS profile's region
# tags: {{team: data}}       # added to every resource (streamleap:* tags are added for you)

source:
  engine: {engine}               # mysql | mariadb | aurora-mysql | postgres | aurora-postgresql
  host: db.internal
  port: {port}
  database: shop
  username: streamleap
  password_env: SOURCE_PASSWORD  # the environment variable holding the password when you run apply
  # secret_arn: arn:aws:secretsmanager:us-east-1:123456789012:secret:shop-db   # instead of password_env
  # ssl_mode: require            # none | require | verify-ca | verify-full

# the tables to mirror, as schema.table (MySQL: database.table); each needs a primary key
tables: [{tables}]
{partitions}
# columns DMS never reads (PII): a remove-column rule each, as schema.table.column
# exclude_columns: [shop.customer.email]

stream:
  name: {stream}
  mode: on_demand                # or provisioned, with shards: 4
  retention_hours: 48            # 24 to 8760; keep it longer than your longest pause
  # kms_key: alias/aws/kinesis   # server-side encryption

dms:
  replication_instance_class: dms.t3.medium
  # allocated_storage_gb: 50
  # subnet_group: my-dms-subnets   # a replication subnet group that can reach the source
  # security_group_ids: [sg-0123456789abcdef0]
  # serverless: {{max_capacity_units: 4}}   # DMS Serverless instead of an instance

redshift:
  workgroup: analytics           # Redshift Serverless; or cluster_identifier: my-cluster
  external_schema: kinesis       # the schema CREATE EXTERNAL SCHEMA ... FROM KINESIS makes
"""


def template(engine: str = "mysql", tables: list[str] | None = None, stream: str = "shop_cdc",
             partitions: dict[str, list[str]] | None = None) -> str:
    port = 5432 if engine in POSTGRES_ENGINES else 3306
    names = ", ".join(tables or (["public.cart", "public.cart_item"] if engine in POSTGRES_ENGINES
                                 else ["shop.cart", "shop.cart_item"]))
    if partitions:
        listed = "\n".join(f"  {parent}: [{', '.join(names_)}]" for parent, names_ in partitions.items())
        block = ("# the partitions of each partitioned Postgres table (read from the source): DMS reads them as tables\n"
                 "# of their own, so the task selects each by name; add new partitions here (and run apply)\n"
                 f"partitions:\n{listed}\n")
    else:
        block = ("# Postgres: list the partitions of a partitioned table (DMS reads them under their own names);\n"
                 "# `streamleap aws init-config --source-url URL` fills this in\n"
                 "# partitions: {public.events: [public.events_2024, public.events_2025]}\n")
    return TEMPLATE.format(engine=engine, port=port, tables=names, stream=stream, partitions=block)
