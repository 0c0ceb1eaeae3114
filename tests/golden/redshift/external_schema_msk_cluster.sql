create external schema if not exists "msk"
  from msk
  iam_role 'arn:aws:iam::123456789012:role/streamleap-redshift'
  authentication none
  cluster_arn 'arn:aws:kafka:us-east-1:123456789012:cluster/shop/abc'
