-- paperradar schema v6: the papers.generation (meta ``papers.generation``) each paper last changed
-- under, so a search index catches up with the papers changed since it was built instead of
-- reading the whole store. A write stamps the generation the ingest will commit (the current
-- value + 1: ingest bumps the counter at the end of its transaction); a new listing of a paper
-- stamps it too (its last listing date is part of the index). Rows from before this migration
-- keep 0: every index built before it already holds them.
ALTER TABLE papers ADD COLUMN generation INTEGER NOT NULL DEFAULT 0;
CREATE INDEX papers_generation ON papers(generation, arxiv_id);
