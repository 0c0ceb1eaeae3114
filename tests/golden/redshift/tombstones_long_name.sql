create table if not exists "dev"."analytics"."määäääääääääääääääääääääääääääääääääääääääääääää_59227a0d__streamleap_tombstones" (
  "id" BIGINT,
  _streamleap_order varchar(256),
  _streamleap_commit_ts timestamp,
  _streamleap_synced_at timestamp
)
diststyle key distkey ("id") compound sortkey ("id")
