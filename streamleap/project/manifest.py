"""What a dbt project streams, read from its parsed manifest: its streaming views, mirrors and
set-aside models (ModelRef: where each is, its key in the state table, what it reads), and what
the state table says of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from streamleap.project import contract
from streamleap.pipeline.warehouse import Warehouse


@dataclass(frozen=True)
class ProjectModels:
    """What the project streams: streaming views (stream schema and name), mirrors, set-aside models."""

    streams: list[tuple[str, str]]
    mirrors: dict[str, ModelRef]
    set_asides: dict[str, ModelRef]
    stagings: dict[str, ModelRef] = field(default_factory=dict)  # the streaming view models, by name
    stream_kinds: dict[tuple[str, str], str] = field(default_factory=dict)  # (schema, name) -> 'kinesis' | 'kafka'

    def kind(self, stream: tuple[str, str]) -> str:
        return self.stream_kinds.get(stream, "kinesis")


@dataclass(frozen=True)
class ModelRef:
    schema: str
    key: str  # database.schema.identifier, as the package names it in streamleap_state
    relation: str  # the quoted relation name dbt renders
    table: str | None = None  # the source table (mirrors)
    source_schema: str | None = None
    partitions: tuple[tuple[str, str], ...] = ()  # (schema, name) of its partitions, whose records apply to it
    identifier: str = ""  # the relation's own name (alias or model name)
    stream: tuple[str, str] | None = None  # (stream schema, stream name) of the streaming view it is or reads


def _stream_of(node: Any) -> tuple[str, str] | None:
    extra = node.config._extra if hasattr(node.config, "_extra") else {}
    return (str(extra.get("stream_schema")), str(extra.get("stream_name"))) if node.config.materialized == "streaming_mv" else None


def _ref(node: Any, spec: dict | None = None, stream: tuple[str, str] | None = None) -> ModelRef:
    identifier = node.alias or node.name
    key = contract.relation_key(node.database, node.schema, identifier)
    spec = spec or {}
    partitions = tuple((str(p.get("schema") or spec.get("schema") or ""), str(p.get("table"))) for p in spec.get("partitions") or [])
    return ModelRef(node.schema, key, node.relation_name or key, spec.get("table"), spec.get("schema"), partitions,
                    identifier, stream)


def project_models(manifest: Any) -> ProjectModels:
    streams, mirrors, set_asides, stagings, kinds = [], {}, {}, {}, {}
    for node in manifest.nodes.values():
        if node.resource_type != "model":
            continue
        cfg = node.config
        extra = cfg._extra if hasattr(cfg, "_extra") else {}
        # the streaming view a model reads: its parent of materialization streaming_mv
        parents = [manifest.nodes.get(p) for p in node.depends_on.nodes]
        read = next((_stream_of(p) for p in parents if p is not None and _stream_of(p) is not None), None)
        stream = _stream_of(node)
        if stream is not None:
            streams.append(stream)
            stagings[node.name] = _ref(node, stream=stream)
            kinds[stream] = str(extra.get("stream_kind") or "kinesis")
        elif extra.get("streamleap_table"):
            mirrors[node.name] = _ref(node, extra.get("streamleap_table"), read)
        elif extra.get("streamleap_set_aside"):
            set_asides[node.name] = _ref(node, stream=read)
    return ProjectModels(sorted(set(streams)), mirrors, set_asides, stagings, kinds)


def keys_by_schema(refs: list[ModelRef]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for ref in refs:
        out.setdefault(ref.schema, []).append(ref.key)
    return out


def read_state(warehouse: Warehouse, refs: list[ModelRef], columns: tuple[str, ...] = ("applied_rows", "newest_commit_ts"),
               cur: Any = None) -> dict[str, tuple]:
    """The state rows of the models (key -> the columns' values; by default applied_rows and
    newest_commit_ts) on cur, or on a connection of its own. A project that never ran has no state
    table yet: its models are left out (status reports them not built)."""
    if cur is not None:
        return contract.read_state(cur, warehouse.kind, keys_by_schema(refs), columns)
    con = warehouse.connect()
    try:
        return contract.read_state(con.cursor(), warehouse.kind, keys_by_schema(refs), columns)
    finally:
        con.close()
