"""Where pages link to: one object per page, so templates never build URLs themselves.

On the server every route has an absolute path (``/day/2026-04-27``); in the static
export the same page is a file (``day/2026-04-27.html``) and links are relative
to the page's own folder, so the site works from any sub-path (GitHub Pages) or
straight from disk.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode


def _seg(value: str) -> str:
    return quote(value, safe=".-_~/")


class Links:
    """URLs for one rendered page. ``static=False``: the server's routes;
    ``static=True``: files of the export, relative to a page ``depth`` folders deep."""

    def __init__(self, static: bool = False, depth: int = 0, root: str | None = None) -> None:
        self.static = static
        if root is not None:  # an absolute base such as "https://me.example/papers/" (feeds)
            self.root = root if root.endswith("/") else root + "/"
        else:
            self.root = ("../" * depth or "./") if static else "/"

    def _page(self, path: str) -> str:
        return f"{self.root}{path}.html" if self.static else f"{self.root}{path}"

    def home(self) -> str:
        return f"{self.root}index.html" if self.static else self.root

    def days(self) -> str:
        return self._page("days")

    def day(self, date: str, **query: str | None) -> str:
        url = self._page(f"day/{_seg(date)}")
        params = {k: v for k, v in query.items() if v}
        return f"{url}?{urlencode(params)}" if params and not self.static else url

    def paper(self, arxiv_id: str) -> str:
        return self._page(f"paper/{_seg(arxiv_id)}")

    def search(self, **query: str | int | None) -> str:
        params = {k: v for k, v in query.items() if v not in (None, "")}
        return f"{self.root}search?{urlencode(params)}" if params else f"{self.root}search"

    def topics(self) -> str:
        return self._page("topics/index") if self.static else f"{self.root}topics"

    def topic(self, name: str) -> str:
        return self._page(f"topics/{_seg(name)}")

    def trending(self) -> str:
        return self._page("trending")

    def asset(self, name: str) -> str:
        return f"{self.root}static/{name}"

    def feed_latest(self) -> str:
        return f"{self.root}feeds/latest.atom"

    def feed_category(self, category: str) -> str:
        return f"{self.root}feeds/category/{_seg(category)}.atom"

    def feed_topic(self, name: str) -> str:
        return f"{self.root}feeds/topic/{_seg(name)}.atom"

    def feed_search(self, q: str) -> str:
        return f"{self.root}feeds/search.atom?{urlencode({'q': q})}"

    def api_day(self, date: str) -> str:
        return f"{self.root}api/day/{_seg(date)}" + (".json" if self.static else "")

    def api_paper(self, arxiv_id: str) -> str:
        return f"{self.root}api/paper/{_seg(arxiv_id)}" + (".json" if self.static else "")
