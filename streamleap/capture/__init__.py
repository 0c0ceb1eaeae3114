"""Development-grade change capture: read a live source's replication log and write what AWS DMS
would write to Kinesis (see ``base`` for the contract between readers and the writer)."""
