create external schema if not exists "kinesis"
  from kinesis
  iam_role default
