-- paperradar schema v6 for PostgreSQL: migrations/0006_paper_generation.sql with a BIGINT
-- generation (adding a column with a constant default rewrites nothing since PostgreSQL 11).
ALTER TABLE papers ADD COLUMN generation BIGINT NOT NULL DEFAULT 0;
CREATE INDEX papers_generation ON papers(generation, arxiv_id);
