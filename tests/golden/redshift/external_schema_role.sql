create external schema if not exists "kinesis"
  from kinesis region 'us-east-1'
  iam_role 'arn:aws:iam::123456789012:role/streamleap-redshift'
