"""The web app (``paperradar serve``) and the static site (``paperradar site build``).

Both render the same view models (:mod:`.views`) with the same Jinja2 templates;
only the links differ (:mod:`.links`: absolute paths on the server, relative
``.html`` files in the static export). Everything a page needs is served from
this machine: no CDN, web fonts or analytics, so opening a page makes no request
to any third-party host.
"""
