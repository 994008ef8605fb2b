"""Several workers on one PostgreSQL store: long jobs split across processes and machines.

:mod:`paperradar.workers.queue` owns "who works on what": a work table in the
store's database, rows claimed with ``SELECT ... FOR UPDATE SKIP LOCKED`` under
a lease, so each paper goes to one worker at a time, a worker that dies loses
its claims when the lease runs out, and a completion counts only while the
worker still holds the claim (so a paper is stored exactly once).
:mod:`paperradar.workers.summarize` is the summarize worker on top of it
(``paperradar worker summarize``). See docs/deploy.md.
"""
