"""The DMS record format, one owner: what AWS DMS writes to Kinesis for one row change.

- ``dms``: the record (``ChangeRecord``: data, metadata, before-image), DMS's commit-timestamp text,
  and the Kinesis partition key DMS gives a row (``partition_key``).
- ``values``: how a value of each type family (``streamleap.model.type_mapping.FAMILIES``) is written into the
  record's JSON (``encode_value``) and read back (``decode_value``): one codec per family.

Capture (``streamleap.capture``), the demo workload and the tests all produce records through it.
"""

from streamleap.records.dms import OPERATIONS, ChangeRecord, commit_timestamp_text, partition_key
from streamleap.records.values import CODECS, decode_value, encode_value, fallback_type, json_text

__all__ = ["CODECS", "OPERATIONS", "ChangeRecord", "commit_timestamp_text", "decode_value", "encode_value",
           "fallback_type", "json_text", "partition_key"]
