"""The documents streamleap hands to AWS: IAM trust and permission policies, DMS endpoint and task
settings, table mappings. Pure functions of the config, so golden tests pin them.

Least privilege (REFERENCE.md, IAM):
* DMS writing Kinesis: kinesis:DescribeStream, PutRecord, PutRecords on the stream ARN only
  (kms:GenerateDataKey on the stream's key when it is encrypted: a producer needs it).
* Redshift reading Kinesis: kinesis:DescribeStreamSummary, GetShardIterator, GetRecords,
  ListShards, DescribeStream on the stream ARN; kinesis:ListStreams on ``*`` (it takes no
  resource); kms:Decrypt on the stream's key when encrypted.
* Redshift reading an MSK topic (kind kafka; the Redshift developer guide's streaming ingestion from
  Amazon MSK): kafka-cluster:ReadData and DescribeTopic on the topic's ARN, kafka-cluster:Connect on
  the cluster's, kafka:GetBootstrapBrokers on ``*``; with AUTHENTICATION none only the last.
* Trust policies name the one service principal and carry ``aws:SourceAccount`` (and for DMS
  ``aws:SourceArn`` limited to the account's DMS resources in the region).
"""

from __future__ import annotations

import json
from typing import Any

from streamleap.aws.config import AwsConfig

POLICY_VERSION = "2012-10-17"

DMS_WRITE_ACTIONS = ("kinesis:DescribeStream", "kinesis:PutRecord", "kinesis:PutRecords")
REDSHIFT_READ_ACTIONS = ("kinesis:DescribeStreamSummary", "kinesis:GetShardIterator", "kinesis:GetRecords",
                         "kinesis:ListShards", "kinesis:DescribeStream")
REDSHIFT_LIST_ACTIONS = ("kinesis:ListStreams",)
REDSHIFT_MSK_READ_ACTIONS = ("kafka-cluster:ReadData", "kafka-cluster:DescribeTopic")
REDSHIFT_MSK_CONNECT_ACTIONS = ("kafka-cluster:Connect",)
REDSHIFT_MSK_LIST_ACTIONS = ("kafka:GetBootstrapBrokers",)
SECRET_READ_ACTIONS = ("secretsmanager:GetSecretValue",)

# the AWS-managed policy DMS's account-wide VPC role carries (DMS requires this role by name)
DMS_VPC_ROLE = "dms-vpc-role"


def dms_vpc_policy_arn(region: str) -> str:
    return f"arn:{partition(region)}:iam::aws:policy/service-role/AmazonDMSVPCManagementRole"


def partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def stream_arn(region: str, account: str, name: str) -> str:
    return f"arn:{partition(region)}:kinesis:{region}:{account}:stream/{name}"


def _trust(service: str | list[str], account: str, source_arn: str | None = None) -> dict[str, Any]:
    condition: dict[str, Any] = {"StringEquals": {"aws:SourceAccount": account}}
    if source_arn:
        condition["ArnLike"] = {"aws:SourceArn": source_arn}
    return {
        "Version": POLICY_VERSION,
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": "sts:AssumeRole",
            "Condition": condition,
        }],
    }


def dms_trust_policy(region: str, account: str) -> dict[str, Any]:
    return _trust("dms.amazonaws.com", account, f"arn:{partition(region)}:dms:{region}:{account}:*")


def dms_secret_trust_policy(region: str, account: str) -> dict[str, Any]:
    # DMS reads Secrets Manager through its regional principal
    return _trust(f"dms.{region}.amazonaws.com", account, f"arn:{partition(region)}:dms:{region}:{account}:*")


def dms_vpc_trust_policy() -> dict[str, Any]:
    # DMS itself assumes dms-vpc-role for the account, with no source to name
    return {"Version": POLICY_VERSION, "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "dms.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def redshift_trust_policy(account: str, serverless: bool) -> dict[str, Any]:
    # A Serverless namespace assumes roles as redshift-serverless and, for some features
    # (COPY, external schemas), as redshift: both principals, same account condition.
    service: str | list[str] = ["redshift-serverless.amazonaws.com", "redshift.amazonaws.com"] if serverless \
        else "redshift.amazonaws.com"
    return _trust(service, account)


def dms_kinesis_policy(stream: str, kms_key: str | None) -> dict[str, Any]:
    statements: list[dict[str, Any]] = [
        {"Sid": "WriteChangeRecords", "Effect": "Allow", "Action": list(DMS_WRITE_ACTIONS), "Resource": stream},
    ]
    if kms_key:
        statements.append({"Sid": "EncryptRecords", "Effect": "Allow", "Action": ["kms:GenerateDataKey"],
                           "Resource": kms_key})
    return {"Version": POLICY_VERSION, "Statement": statements}


def redshift_kinesis_policy(stream: str, kms_key: str | None) -> dict[str, Any]:
    statements: list[dict[str, Any]] = [
        {"Sid": "ReadStream", "Effect": "Allow", "Action": list(REDSHIFT_READ_ACTIONS), "Resource": stream},
        {"Sid": "ListStreams", "Effect": "Allow", "Action": list(REDSHIFT_LIST_ACTIONS), "Resource": "*"},
    ]
    if kms_key:
        statements.append({"Sid": "DecryptRecords", "Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": kms_key})
    return {"Version": POLICY_VERSION, "Statement": statements}


def msk_topic_arn(cluster_arn: str, topic: str) -> str:
    """A topic's ARN from its cluster's: arn:...:cluster/NAME/UUID -> arn:...:topic/NAME/UUID/TOPIC."""
    return cluster_arn.replace(":cluster/", ":topic/", 1) + "/" + topic


def redshift_msk_policy(cluster_arn: str, topic: str, authentication: str) -> dict[str, Any]:
    statements: list[dict[str, Any]] = []
    if authentication == "iam":
        statements += [
            {"Sid": "ReadTopic", "Effect": "Allow", "Action": list(REDSHIFT_MSK_READ_ACTIONS),
             "Resource": msk_topic_arn(cluster_arn, topic)},
            {"Sid": "ConnectCluster", "Effect": "Allow", "Action": list(REDSHIFT_MSK_CONNECT_ACTIONS), "Resource": cluster_arn},
        ]
    statements.append({"Sid": "FindBrokers", "Effect": "Allow", "Action": list(REDSHIFT_MSK_LIST_ACTIONS), "Resource": "*"})
    return {"Version": POLICY_VERSION, "Statement": statements}


def kafka_settings(brokers: str, topic: str) -> dict[str, Any]:
    """The Kafka (MSK) target endpoint's KafkaSettings: the same record details as kinesis_settings,
    over TLS (MSK's port 9094; DMS reaches the brokers in their VPC)."""
    return {"Broker": brokers, "Topic": topic, "MessageFormat": "json", "SecurityProtocol": "ssl-encryption", **RECORD_DETAILS,
            "UseLargeIntegerValue": True}


def dms_secret_policy(secret_arn: str) -> dict[str, Any]:
    return {"Version": POLICY_VERSION, "Statement": [
        {"Sid": "ReadSourcePassword", "Effect": "Allow", "Action": list(SECRET_READ_ACTIONS), "Resource": secret_arn},
    ]}


# --- DMS --------------------------------------------------------------------------------------


def kinesis_settings(stream: str, role_arn: str) -> dict[str, Any]:
    """The target endpoint's KinesisSettings: what the apply side needs from every record.

    Transaction details give the commit order (without them a re-delivered older change can win);
    control details carry table definitions; the partition value is the primary key prefixed by
    schema and table; large integers stay integers (not scientific notation); NULL columns are
    written (an absent column would be ambiguous); binary is hex without 0x.
    """
    return {"StreamArn": stream, "MessageFormat": "json", "ServiceAccessRoleArn": role_arn, **RECORD_DETAILS,
            "UseLargeIntegerValue": True}


#: what every record carries, on a Kinesis or a Kafka target (kinesis_settings says why)
RECORD_DETAILS = {
    "IncludeTransactionDetails": True,
    "IncludePartitionValue": True,
    "PartitionIncludeSchemaTable": True,
    "IncludeTableAlterOperations": True,
    "IncludeControlDetails": True,
    "IncludeNullAndEmpty": True,
    "NoHexPrefix": True,
}


def table_mappings(config: AwsConfig) -> dict[str, Any]:
    """One selection rule per configured table (explicit names, no wildcards) and one
    map-record-to-record rule, which partitions each table's records by primary key.

    A partitioned Postgres table's partitions (``partitions:``) get the same two rules each: DMS
    reads partitions as tables of their own and writes their changes under their names, which
    the table's mirror applies as its own. An excluded column (``exclude_columns:``) gets a
    remove-column transformation on its table and on each of its partitions, so DMS never
    writes it.
    """
    rules: list[dict[str, Any]] = []
    objects: list[tuple[str, str]] = []  # every (schema, table) DMS reads, in config order
    for schema, table in config.table_parts():
        objects.append((schema, table))
        objects.extend(p for p in config.partition_parts(f"{schema}.{table}") if p not in objects)
    for i, (schema, table) in enumerate(objects):
        locator = {"schema-name": schema, "table-name": table}
        rules.append({"rule-type": "selection", "rule-id": str(2 * i + 1), "rule-name": f"select-{i + 1}",
                      "object-locator": locator, "rule-action": "include"})
        rules.append({"rule-type": "object-mapping", "rule-id": str(2 * i + 2), "rule-name": f"map-{i + 1}",
                      "rule-action": "map-record-to-record", "object-locator": dict(locator)})
    n = 0
    for schema, table, column in config.excluded_parts():
        for owner_schema, owner in [(schema, table), *config.partition_parts(f"{schema}.{table}")]:
            n += 1
            rules.append({"rule-type": "transformation", "rule-id": str(2 * len(objects) + n),
                          "rule-name": f"remove-column-{n}", "rule-target": "column",
                          "object-locator": {"schema-name": owner_schema, "table-name": owner, "column-name": column},
                          "rule-action": "remove-column"})
    return {"rules": rules}


def task_settings(config: AwsConfig) -> dict[str, Any]:
    """The task settings streamleap sets (DMS keeps its defaults for the rest).

    Before images of every column on updates and deletes (so a primary-key change is visible);
    limited-size LOB mode with a bound below Kinesis's 1 MiB record; parallel apply so records
    are partitioned by primary key across shards; target tables left alone (Kinesis has none).
    """
    return {
        "TargetMetadata": {
            "SupportLobs": True,
            "FullLobMode": False,
            "LimitedSizeLobMode": True,
            "LobMaxSize": config.dms.lob_max_size_kb,
            "ParallelApplyThreads": 8,
            "ParallelApplyBufferSize": 1000,
            "ParallelApplyQueuesPerThread": 16,
        },
        "FullLoadSettings": {"TargetTablePrepMode": "DO_NOTHING"},
        "BeforeImageSettings": {"EnableBeforeImage": True, "FieldName": "before-image", "ColumnFilter": "all"},
        "Logging": {"EnableLogging": True},
    }


def dumps(document: dict[str, Any]) -> str:
    """Canonical JSON text (sorted keys) for AWS calls and comparisons."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


def subset_differs(wanted: Any, have: Any) -> bool:
    """Whether ``have`` (what AWS reports, with its defaults filled in) lacks any value of ``wanted``."""
    if isinstance(wanted, dict):
        if not isinstance(have, dict):
            return True
        return any(subset_differs(v, have.get(k)) for k, v in wanted.items())
    return wanted != have
