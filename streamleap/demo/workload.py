"""A synthetic online shop for ``streamleap demo``: shopping carts and their lines.

``ShopWorkload`` simulates the SOURCE database (a Postgres ``public.cart`` / ``public.cart_item``
pair, see ``SHOP_DDL``) and what AWS DMS writes to Kinesis for it: a full load, then one list of
change records per source transaction, plus now and then a re-delivery of records already sent
(a DMS task restarting from a checkpoint). Everything is driven by one seeded ``random.Random``,
so the same seed gives the same records, byte for byte.

``state()`` is the source's current content, the truth a mirror must converge to. Values in the
records are encoded with ``streamleap.records.encode_value`` for the column types ``streamleap
generate`` plans for ``SHOP_DDL``.

The business questions the demo asks of the mirror, ``ABANDONED_CARTS_SQL`` and
``HIGH_DEMAND_ITEMS_SQL``, are plain SQL for DuckDB, Postgres and Redshift; format them with the
qualified relation names: ``ABANDONED_CARTS_SQL.format(cart=..., cart_item=...)``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections import Counter, OrderedDict, deque
from collections.abc import Callable
from decimal import Decimal
from functools import cache
from typing import Any

from streamleap.records import ChangeRecord, decode_value, encode_value, partition_key
from streamleap.model.mirror_plan import MirrorTable

__all__ = [
    "ABANDONED_CARTS_SQL",
    "ABANDON_AFTER",
    "DEFAULT_WEIGHTS",
    "HIGH_DEMAND_ITEMS_SQL",
    "OPERATION_KINDS",
    "SCHEMA",
    "SHOP_DDL",
    "ShopWorkload",
    "SimulatedClock",
    "decode_row",
    "encode_row",
    "record_partition_key",
    "shop_tables",
]

SCHEMA = "public"

SHOP_DDL = """\
CREATE TABLE public.cart (
    cart_id     bigint PRIMARY KEY,
    customer_id integer NOT NULL,
    status      varchar(16) NOT NULL,  -- open | checked_out | abandoned
    item_count  integer NOT NULL,      -- units in the cart: the sum of its lines' quantities
    total       numeric(12,2) NOT NULL,
    created_at  timestamp NOT NULL,
    updated_at  timestamp NOT NULL
);

CREATE TABLE public.cart_item (
    cart_id    bigint NOT NULL,
    line_no    integer NOT NULL,
    sku        varchar(32) NOT NULL,
    quantity   integer NOT NULL,
    unit_price numeric(10,2) NOT NULL,
    PRIMARY KEY (cart_id, line_no)
);
"""

# An open cart untouched this long is abandoned: the shop's nightly-style job marks such carts
# 'abandoned' (the "abandon" operation), and ABANDONED_CARTS_SQL counts the ones not marked yet.
ABANDON_AFTER = dt.timedelta(hours=1)
_ABANDON_MINUTES = int(ABANDON_AFTER.total_seconds() // 60)

# One row: abandoned_carts (marked 'abandoned', or open and idle for ABANDON_AFTER before the
# latest update anywhere), abandoned_value (their total) and idle_open_carts (those not marked
# yet). Idle time is measured against max(updated_at), not the wall clock, so the answer depends
# on the data only.
ABANDONED_CARTS_SQL = (
    "with latest as (select max(updated_at) as latest_update from {cart})\n"
    "select count(*) as abandoned_carts,\n"
    "       coalesce(sum(c.total), 0) as abandoned_value,\n"
    "       coalesce(sum(case when c.status = 'open' then 1 else 0 end), 0) as idle_open_carts\n"
    "from {cart} c cross join latest\n"
    "where c.status = 'abandoned'\n"
    f"   or (c.status = 'open' and c.updated_at < latest.latest_update - interval '{_ABANDON_MINUTES} minutes')"
)

# Up to ten rows: sku, quantity (units in open carts), carts (open carts holding it); most
# units first, ties by sku.
HIGH_DEMAND_ITEMS_SQL = (
    "select i.sku, sum(i.quantity) as quantity, count(distinct i.cart_id) as carts\n"
    "from {cart_item} i\n"
    "join {cart} c on c.cart_id = i.cart_id\n"
    "where c.status = 'open'\n"
    "group by i.sku\n"
    "order by sum(i.quantity) desc, i.sku\n"
    "limit 10"
)

OPERATION_KINDS = (
    "open_cart",        # insert cart + its first cart_item
    "add_item",         # insert cart_item + update cart (item_count, total, updated_at)
    "change_price",     # update a line's unit_price + update cart total
    "change_quantity",  # update a line's quantity + update cart
    "remove_item",      # delete cart_item + update cart
    "checkout",         # update cart status -> checked_out
    "abandon",          # the least recently touched open cart, idle >= ABANDON_AFTER -> abandoned
    "delete_cart",      # delete its lines, then the cart (retention clean-up of closed carts)
    "rekey_cart",       # primary-key update of cart (before-image), lines re-keyed by delete + insert
)

DEFAULT_WEIGHTS: dict[str, float] = {
    "open_cart": 14,
    "add_item": 30,
    "change_price": 6,
    "change_quantity": 10,
    "remove_item": 7,
    "checkout": 7,
    "abandon": 8,
    "delete_cart": 5,
    "rekey_cart": 1,
}

MAX_LINES = 5  # lines per cart: a delete_cart transaction has at most MAX_LINES + 1 changes
_REKEY_MAX_LINES = 2  # rekey_cart: 1 + 2 * lines changes
# chance a customer leaves after touching the cart (it stays open, dormant): higher the more
# sessions there are, which keeps their number around a few dozen
_SESSION_END = 0.08
_SESSION_CROWD = 250
_COMEBACK = 0.03  # chance an operation picks any open cart, bringing a dormant one back
_SESSION_IDLE = dt.timedelta(minutes=15)  # full load: open carts updated this recently are in a session
_HISTORY = 512  # records a re-delivery can reach back to
_CENT = Decimal("0.01")


@cache
def shop_tables() -> dict[str, MirrorTable]:
    """SHOP_DDL planned exactly as ``streamleap generate`` plans it, by table name."""
    from streamleap.sources.ddl import parse_ddl
    from streamleap.model.mirror_plan import plan_tables

    return {t.source.name: t for t in plan_tables(parse_ddl(SHOP_DDL, "postgres"))}


@cache
def _columns(table: str) -> tuple[tuple[str, Any], ...]:
    return tuple((c.name, c.target) for c in shop_tables()[table].columns)


@cache
def _key(table: str) -> tuple[str, ...]:
    return tuple(shop_tables()[table].primary_key)


def encode_row(table: str, row: dict[str, Any]) -> dict[str, Any]:
    """A row of Python values as DMS writes it in a record's ``data`` (all columns, in order)."""
    return {name: encode_value(row.get(name), target) for name, target in _columns(table)}


def decode_row(table: str, data: dict[str, Any]) -> dict[str, Any]:
    """The inverse of ``encode_row``: a record's ``data`` as a row of Python values."""
    return {name: decode_value(data.get(name), target) for name, target in _columns(table)}


def record_partition_key(record: ChangeRecord) -> str:
    """The Kinesis partition key DMS gives a shop record (dms.partition_key of its key values; for a
    primary-key update, the new key, which is in ``data``)."""
    return partition_key(record.schema, record.table, [record.data.get(c) for c in _key(record.table)])


def _naive_utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value


class SimulatedClock:
    """A deterministic clock: each call moves on by a random gap (exponential, ``mean_gap``)."""

    def __init__(self, start: dt.datetime = dt.datetime(2024, 6, 3, 9, 0, 0), mean_gap: float = 1.5,
                 seed: int = 0):
        self.now = start
        self._mean_gap = mean_gap
        self._rng = random.Random(f"clock:{seed}")

    def __call__(self) -> dt.datetime:
        gap = max(1, round(self._rng.expovariate(1.0 / self._mean_gap) * 1_000_000))
        self.now += dt.timedelta(microseconds=gap)
        return self.now


class _Bag:
    """A set with O(1) add, remove and uniform random choice."""

    def __init__(self) -> None:
        self._items: list[int] = []
        self._where: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, item: int) -> bool:
        return item in self._where

    def add(self, item: int) -> None:
        if item not in self._where:
            self._where[item] = len(self._items)
            self._items.append(item)

    def remove(self, item: int) -> None:
        i = self._where.pop(item)
        last = self._items.pop()
        if i < len(self._items):
            self._items[i] = last
            self._where[last] = i

    def choice(self, rng: random.Random) -> int:
        return self._items[rng.randrange(len(self._items))]


class ShopWorkload:
    """The simulated shop database and the DMS records for its changes.

    ``seed``: everything is a function of it. ``skus``: catalogue size; popularity is Zipf-like,
    so a few SKUs are in high demand. ``redeliver_rate``: the chance per ``maybe_redeliver()``
    call of a re-delivery. ``clock``: a callable returning "now" (a datetime; aware ones are taken
    as UTC), used for the full load and by ``step()``; default a ``SimulatedClock``.
    ``weights``: relative weights of OPERATION_KINDS (missing kinds weigh 0).
    ``abandon_after``: how long an open cart is idle before the "abandon" operation may mark it.

    Counters: ``loaded`` (full-load records), ``changes`` (row changes in transactions),
    ``transactions``, ``redelivered`` (records re-sent), ``records_sent`` (all three together),
    ``op_counts`` (transactions per operation kind).
    """

    def __init__(self, seed: int = 0, *, skus: int = 200, redeliver_rate: float = 0.01,
                 clock: Callable[[], dt.datetime] | None = None,
                 weights: dict[str, float] | None = None,
                 abandon_after: dt.timedelta = ABANDON_AFTER) -> None:
        if skus < 1:
            raise ValueError("skus must be at least 1")
        if not 0.0 <= redeliver_rate <= 1.0:
            raise ValueError("redeliver_rate must be between 0 and 1")
        weights = dict(DEFAULT_WEIGHTS if weights is None else weights)
        unknown = set(weights) - set(OPERATION_KINDS)
        if unknown:
            raise ValueError(f"unknown operation kinds {sorted(unknown)}; known: {', '.join(OPERATION_KINDS)}")
        self._op_names = [k for k in OPERATION_KINDS if weights.get(k, 0) > 0]
        if not self._op_names:
            raise ValueError("weights: at least one operation kind needs a positive weight")
        self._op_cum = list(itertools.accumulate(weights[k] for k in self._op_names))

        self.seed = seed
        self.redeliver_rate = redeliver_rate
        self.abandon_after = abandon_after
        self.clock: Callable[[], dt.datetime] = clock or SimulatedClock(seed=seed)
        self._rng = random.Random(f"shop:{seed}")
        self._redeliver_rng = random.Random(f"redeliver:{seed}")

        # the catalogue: SKU-00001 is the most popular; Zipf-like weights 1 / rank^1.2
        width = max(5, len(str(skus)))
        self._skus = [f"SKU-{i:0{width}d}" for i in range(1, skus + 1)]
        self._sku_cum = list(itertools.accumulate(1.0 / (rank ** 1.2) for rank in range(1, skus + 1)))
        self._price = {sku: Decimal(self._rng.randrange(199, 20000)) * _CENT for sku in self._skus}

        # the source tables
        self._carts: dict[int, dict[str, Any]] = {}
        self._items: dict[tuple[int, int], dict[str, Any]] = {}
        self._lines: dict[int, list[int]] = {}  # cart_id -> its line_nos, ascending
        self._next_line: dict[int, int] = {}
        self._open = _Bag()  # open carts
        self._active = _Bag()  # open carts whose customer is still shopping (in a session)
        self._idle: OrderedDict[int, None] = OrderedDict()  # open carts, least recently updated first
        self._closed = _Bag()  # checked_out and abandoned carts
        self._next_cart_id = 1001
        self._next_xid = 700_001

        self._last_commit: dt.datetime | None = None
        self._history: deque[ChangeRecord] = deque(maxlen=_HISTORY)
        self._pending: list[ChangeRecord] = []
        self._trid = 0
        self._now = dt.datetime.min
        self._xid = 0

        self.loaded = 0
        self.changes = 0
        self.transactions = 0
        self.redelivered = 0
        self.op_counts: Counter[str] = Counter()

    # ------------------------------------------------------------------ public API
    @property
    def records_sent(self) -> int:
        return self.loaded + self.changes + self.redelivered

    def initial_load(self, n_carts: int) -> list[ChangeRecord]:
        """Create ``n_carts`` carts (mostly open, with 1..5 lines) and return DMS's full load of
        both tables: 'load' records, all carts first, then all lines. Before any transaction."""
        if self.transactions:
            raise RuntimeError("initial_load() must come before the first transaction")
        rng = self._rng
        load_ts = _naive_utc(self.clock())
        new_carts: list[int] = []
        for _ in range(n_carts):
            cart_id = self._new_cart_id()
            created = load_ts - dt.timedelta(seconds=rng.randrange(60, 3 * 3600))
            updated = created + (load_ts - created) * rng.random()
            roll = rng.random()
            status = "open" if roll < 0.8 else "checked_out" if roll < 0.92 else "abandoned"
            cart = {"cart_id": cart_id, "customer_id": self._customer(), "status": status,
                    "item_count": 0, "total": Decimal("0.00"), "created_at": created, "updated_at": updated}
            self._carts[cart_id] = cart
            self._lines[cart_id] = []
            self._next_line[cart_id] = 1
            for _ in range(rng.randint(1, MAX_LINES)):
                self._new_line(cart, self._pick_sku(), self._quantity())
            if status == "open":
                self._open.add(cart_id)
                if load_ts - updated < _SESSION_IDLE:
                    self._active.add(cart_id)
            else:
                self._closed.add(cart_id)
            new_carts.append(cart_id)
        # the least recently updated open cart first
        for cart_id in sorted((c for c in new_carts if c in self._open), key=lambda c: self._carts[c]["updated_at"]):
            self._idle[cart_id] = None
        self._last_commit = max(self._last_commit or load_ts, load_ts)

        records = [self._load_record("cart", self._carts[c], load_ts) for c in new_carts]
        records += [self._load_record("cart_item", self._items[(c, n)], load_ts)
                    for c in new_carts for n in self._lines[c]]
        self.loaded += len(records)
        self._history.extend(records)
        return records

    def step(self) -> list[ChangeRecord]:
        """The next transaction, committed at ``clock()``."""
        return self.next_transaction(self.clock())

    def next_transaction(self, commit_ts: dt.datetime) -> list[ChangeRecord]:
        """One source transaction: 1..6 row changes sharing one commit timestamp and transaction
        id, transaction-record-ids 1..n. Commit timestamps strictly increase: one not after the
        previous transaction's is moved to 1 microsecond after it (the mirror orders changes by
        commit timestamp and transaction-record-id, so two transactions may not share one)."""
        commit_ts = _naive_utc(commit_ts)
        if self._last_commit is not None and commit_ts <= self._last_commit:
            commit_ts = self._last_commit + dt.timedelta(microseconds=1)
        self._last_commit = commit_ts
        self._now = commit_ts
        self._xid = self._next_xid
        self._next_xid += 1
        self._trid = 0
        self._pending = []

        rng = self._rng
        for _ in range(8):
            kind = rng.choices(self._op_names, cum_weights=self._op_cum)[0]
            if getattr(self, f"_op_{kind}")():
                break
        else:
            kind = "open_cart"
            self._op_open_cart()

        records = self._pending
        self._pending = []
        self.op_counts[kind] += 1
        self.transactions += 1
        self.changes += len(records)
        self._history.extend(records)
        return records

    def maybe_redeliver(self) -> list[bytes]:
        """With probability ``redeliver_rate``: the bytes of a few records sent before (a run of
        consecutive ones from a recent checkpoint), to be sent again after newer ones."""
        rng = self._redeliver_rng
        if not self._history or rng.random() >= self.redeliver_rate:
            return []
        history = list(self._history)
        count = rng.randint(1, min(8, len(history)))
        start = len(history) - rng.randint(count, min(len(history), 64))
        out = [r.to_bytes() for r in history[start:start + count]]
        self.redelivered += len(out)
        return out

    def state(self) -> dict[str, dict[tuple, dict[str, Any]]]:
        """The source's current content: table -> primary-key tuple -> row of Python values."""
        return {
            "cart": {(c,): dict(row) for c, row in self._carts.items()},
            "cart_item": {k: dict(row) for k, row in self._items.items()},
        }

    # ------------------------------------------------------------------ records
    def _load_record(self, table: str, row: dict[str, Any], ts: dt.datetime) -> ChangeRecord:
        return ChangeRecord(SCHEMA, table, "load", encode_row(table, row), timestamp=ts)

    def _emit(self, table: str, operation: str, row: dict[str, Any], before: dict[str, Any] | None = None) -> None:
        if operation == "delete":  # Postgres: the key, NULL for every other column
            key = _key(table)
            data = {name: (encode_value(row[name], target) if name in key else None) for name, target in _columns(table)}
        else:
            data = encode_row(table, row)
        self._trid += 1
        self._pending.append(ChangeRecord(SCHEMA, table, operation, data, before=before, commit_ts=self._now,
                                          transaction_id=self._xid, transaction_record_id=self._trid))

    # ------------------------------------------------------------------ source model helpers
    def _new_cart_id(self) -> int:
        cart_id = self._next_cart_id
        self._next_cart_id += self._rng.randint(1, 3)  # sequence gaps, like rolled-back inserts
        return cart_id

    def _customer(self) -> int:
        return self._rng.randint(1, 50_000)

    def _pick_sku(self) -> str:
        return self._rng.choices(self._skus, cum_weights=self._sku_cum)[0]

    def _quantity(self) -> int:
        return self._rng.choices((1, 2, 3, 4, 6), cum_weights=(60, 82, 92, 97, 100))[0]

    def _new_line(self, cart: dict[str, Any], sku: str, quantity: int) -> dict[str, Any]:
        cart_id = cart["cart_id"]
        line_no = self._next_line[cart_id]
        self._next_line[cart_id] = line_no + 1
        item = {"cart_id": cart_id, "line_no": line_no, "sku": sku, "quantity": quantity, "unit_price": self._price[sku]}
        self._items[(cart_id, line_no)] = item
        self._lines[cart_id].append(line_no)
        cart["item_count"] += quantity
        cart["total"] += quantity * item["unit_price"]
        return item

    def _touch(self, cart: dict[str, Any]) -> None:
        """The customer did something to an open cart: it is updated now, and the session may end."""
        cart_id = cart["cart_id"]
        cart["updated_at"] = self._now
        self._idle.move_to_end(cart_id)
        if self._rng.random() < _SESSION_END + len(self._active) / _SESSION_CROWD:
            self._active.remove(cart_id)

    def _pick_open(self, *, with_lines: bool = False, with_room: bool = False) -> dict[str, Any] | None:
        """An open cart a customer is working on: one in a session, or now and then a dormant one
        whose customer comes back (it is in a session again)."""
        rng = self._rng
        for _ in range(4):
            pool = self._open if rng.random() < _COMEBACK else self._active
            if not pool:
                continue
            cart = self._carts[pool.choice(rng)]
            n_lines = len(self._lines[cart["cart_id"]])
            if (with_lines and not n_lines) or (with_room and n_lines >= MAX_LINES):
                continue
            self._active.add(cart["cart_id"])
            return cart
        return None

    def _random_open_line(self) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """An open cart with at least one line, and one of its lines."""
        cart = self._pick_open(with_lines=True)
        if cart is None:
            return None
        return cart, self._items[(cart["cart_id"], self._rng.choice(self._lines[cart["cart_id"]]))]

    def _forget_open(self, cart_id: int) -> None:
        self._open.remove(cart_id)
        del self._idle[cart_id]
        if cart_id in self._active:
            self._active.remove(cart_id)

    def _close(self, cart: dict[str, Any], status: str) -> None:
        cart_id = cart["cart_id"]
        cart["status"] = status
        cart["updated_at"] = self._now
        self._forget_open(cart_id)
        self._closed.add(cart_id)

    # ------------------------------------------------------------------ operations
    # Each returns False (changing nothing) when it does not apply to the current state.
    def _op_open_cart(self) -> bool:
        cart_id = self._new_cart_id()
        cart = {"cart_id": cart_id, "customer_id": self._customer(), "status": "open", "item_count": 0,
                "total": Decimal("0.00"), "created_at": self._now, "updated_at": self._now}
        self._carts[cart_id] = cart
        self._lines[cart_id] = []
        self._next_line[cart_id] = 1
        item = self._new_line(cart, self._pick_sku(), self._quantity())
        self._open.add(cart_id)
        self._active.add(cart_id)
        self._idle[cart_id] = None
        self._emit("cart", "insert", cart)
        self._emit("cart_item", "insert", item)
        return True

    def _op_add_item(self) -> bool:
        cart = self._pick_open(with_room=True)
        if cart is None:
            return False
        item = self._new_line(cart, self._pick_sku(), self._quantity())
        self._touch(cart)
        self._emit("cart_item", "insert", item)
        self._emit("cart", "update", cart)
        return True

    def _op_change_price(self) -> bool:
        picked = self._random_open_line()
        if picked is None:
            return False
        cart, item = picked
        old = item["unit_price"]
        new = (old * Decimal(self._rng.choice((80, 90, 95, 105, 110, 120))) / 100).quantize(_CENT)
        new = max(new, Decimal("0.99"))
        if new == old:
            new = old + _CENT
        self._price[item["sku"]] = new
        item["unit_price"] = new
        cart["total"] += item["quantity"] * (new - old)
        self._touch(cart)
        self._emit("cart_item", "update", item)
        self._emit("cart", "update", cart)
        return True

    def _op_change_quantity(self) -> bool:
        picked = self._random_open_line()
        if picked is None:
            return False
        cart, item = picked
        old = item["quantity"]
        new = self._rng.choice([q for q in range(1, 7) if q != old])
        item["quantity"] = new
        cart["item_count"] += new - old
        cart["total"] += (new - old) * item["unit_price"]
        self._touch(cart)
        self._emit("cart_item", "update", item)
        self._emit("cart", "update", cart)
        return True

    def _op_remove_item(self) -> bool:
        picked = self._random_open_line()
        if picked is None:
            return False
        cart, item = picked
        key = (item["cart_id"], item["line_no"])
        del self._items[key]
        self._lines[cart["cart_id"]].remove(item["line_no"])
        cart["item_count"] -= item["quantity"]
        cart["total"] -= item["quantity"] * item["unit_price"]
        self._touch(cart)
        self._emit("cart_item", "delete", item)
        self._emit("cart", "update", cart)
        return True

    def _op_checkout(self) -> bool:
        picked = self._random_open_line()  # only a cart with something in it
        if picked is None:
            return False
        cart, _ = picked
        self._close(cart, "checked_out")
        self._emit("cart", "update", cart)
        return True

    def _op_abandon(self) -> bool:
        if not self._idle:
            return False
        cart_id = next(iter(self._idle))
        cart = self._carts[cart_id]
        if self._now - cart["updated_at"] < self.abandon_after:
            return False
        self._close(cart, "abandoned")
        self._emit("cart", "update", cart)
        return True

    def _op_delete_cart(self) -> bool:
        if self._closed and self._rng.random() < 0.95:
            cart_id = self._closed.choice(self._rng)
        elif self._active:
            cart_id = self._active.choice(self._rng)  # the customer throws the cart away
        else:
            return False
        cart = self._carts.pop(cart_id)
        for line_no in self._lines.pop(cart_id):
            self._emit("cart_item", "delete", self._items.pop((cart_id, line_no)))
        del self._next_line[cart_id]
        if cart_id in self._closed:
            self._closed.remove(cart_id)
        else:
            self._forget_open(cart_id)
        self._emit("cart", "delete", cart)
        return True

    def _op_rekey_cart(self) -> bool:
        """cart_id changes (say, a guest cart renumbered at login): an update of cart whose
        before-image holds the old key; its lines are deleted and inserted again under the new."""
        pool = self._open if self._open and self._rng.random() < 0.8 else self._closed
        for _ in range(4):
            if not pool:
                return False
            old_id = pool.choice(self._rng)
            if len(self._lines[old_id]) <= _REKEY_MAX_LINES:
                break
        else:
            return False
        new_id = self._new_cart_id()
        cart = self._carts.pop(old_id)
        line_nos = self._lines.pop(old_id)
        old_items = [self._items.pop((old_id, n)) for n in line_nos]
        for item in old_items:
            self._emit("cart_item", "delete", item)

        cart["cart_id"] = new_id
        cart["updated_at"] = self._now
        self._carts[new_id] = cart
        self._lines[new_id] = line_nos
        self._next_line[new_id] = self._next_line.pop(old_id)
        pool.remove(old_id)
        pool.add(new_id)
        if old_id in self._idle:
            del self._idle[old_id]
            self._idle[new_id] = None  # just updated: the most recent
        if old_id in self._active:
            self._active.remove(old_id)
            self._active.add(new_id)
        self._emit("cart", "update", cart, before={"cart_id": encode_value(old_id, _columns("cart")[0][1])})

        for item in old_items:
            moved = dict(item, cart_id=new_id)
            self._items[(new_id, moved["line_no"])] = moved
            self._emit("cart_item", "insert", moved)
        return True

