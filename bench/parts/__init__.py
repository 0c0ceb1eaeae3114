"""The benchmark's measurements, one module per part of `bench/run.py --parts`: cycle, tables,
moto, latency, capture, apply, throughput, peers. Each part function runs in a child process of
its own (bench/run.py's orchestrator) and returns the JSON-able result that bench/report.py
renders."""
