select 'it''s C:\\x'
