create external schema if not exists "confluent"
  from kafka
  iam_role default
  authentication mtls
  authentication_arn 'arn:aws:acm:us-east-1:123456789012:certificate/abc'
  uri 'lkc-ghidef-67890.centralus.azure.glb.confluent.cloud:9092'
