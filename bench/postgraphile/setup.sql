-- What PostGraphile needs to serve the same list page as cms: the articles anonymous callers
-- see (PUBLISHED, published_at not in the future), newest first as cms orders them, and
-- readingTimeMinutes as a computed column. bench/suite.py runs this in the benchmark's own
-- scratch database, never in a cms database.
CREATE OR REPLACE FUNCTION visible_articles() RETURNS SETOF article
LANGUAGE sql STABLE AS $$
  SELECT * FROM article
  WHERE status = 'PUBLISHED' AND published_at <= now()
  ORDER BY published_at DESC NULLS LAST, id DESC
$$;

CREATE OR REPLACE FUNCTION article_reading_time_minutes(a article) RETURNS integer
LANGUAGE sql STABLE AS $$
  SELECT GREATEST(1, CEIL(a.word_count / 200.0))::integer
$$;
