"""`streamleap demo`: the whole pipeline on one machine."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.text import Text

from streamleap.cli.common import console, handle_errors



@click.command()
@click.option("--dir", "directory", default="streamleap-demo", show_default=True, type=click.Path(file_okay=False, path_type=Path),
              help="Where the demo's dbt project goes (kept afterwards; reset at the start of each demo).")
@click.option("--target", type=click.Choice(["local", "postgres"]), default="local", show_default=True)
@click.option("--rate", default=200.0, show_default=True, type=click.FloatRange(min=1), help="Source changes per second.")
@click.option("--duration", default=30.0, show_default=True, type=click.FloatRange(min=1), help="Seconds of workload.")
@click.option("--every", default=0.5, show_default=True, type=click.FloatRange(min=0), help="Seconds between runner cycles.")
@click.option("--shards", default=4, show_default=True, type=click.IntRange(min=1, max=64))
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@handle_errors
def demo(directory, target, rate, duration, every, shards, seed, as_json):
    """The whole pipeline on one machine: local Kinesis, a shop workload, the runner, a verified mirror."""
    from streamleap.demo.run import run_demo, summary_lines

    say = (lambda msg: None) if as_json else (lambda msg: console.print(Text(msg)))
    result = run_demo(directory, target=target, rate=rate, duration=duration, seed=seed, shards=shards, every=every,
                      progress=say)
    if as_json:
        click.echo(json.dumps(result.to_json()))
    else:
        for line in summary_lines(result):
            console.print(Text(line))
    if not result.mirror_matches:
        sys.exit(1)
