create external schema if not exists "msk"
  from kafka
  iam_role default
  authentication iam
  uri 'b-1.shop.abc123.c2.kafka.us-east-1.amazonaws.com:9098'
