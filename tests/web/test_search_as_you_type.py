"""Search as you type, in Chromium: on /search the results follow the query while it is typed
(no page load, the address bar kept shareable), under the CSP (no inline script: a violation
would show as a console error), and the same form still submits with JavaScript off."""

from __future__ import annotations

from .test_browser import Watch, browser, server  # noqa: F401  (module-scoped fixtures)


def test_results_follow_the_query_as_it_is_typed(server: str, browser: object) -> None:  # noqa: F811
    page = browser.new_page()
    watch = Watch(page, server)
    errors: list[str] = []
    failed: list[str] = []
    page.on("console", lambda m: errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
    page.on("response", lambda r: failed.append(r.url)
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_default_timeout(20_000)
    page.goto(f"{server}/search?q=speech")
    assert page.locator("li.hit").count() > 0
    page.evaluate("window.__samePage = true")
    page.fill("#q", "")
    page.locator("#q").press_sequentially("diffusion models", delay=30)
    # (no wait_for_function: it evaluates strings, which the CSP forbids, as it should)
    page.locator("#results p.meta", has_text="for “diffusion models”").wait_for()
    assert "q=diffusion+models" in page.url
    assert page.evaluate("window.__samePage") is True  # swapped in place, not navigated
    marks = {m.lower() for m in page.locator("#results mark").all_inner_texts()}
    assert marks & {"diffusion", "models", "model"}
    assert page.locator("#results li.hit").count() == 20
    assert page.locator("#results #next-page").get_attribute("href").startswith("/search?q=diffusion+models")
    page.reload()  # the address bar holds the shareable URL of what is shown
    assert page.locator("#q").input_value() == "diffusion models"
    assert not errors and not failed and not watch.dialogs and not watch.foreign
    page.close()


def test_search_form_submits_without_javascript(server: str, browser: object) -> None:  # noqa: F811
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{server}/search?q=speech")
    page.fill("#q", "diffusion models")
    page.press("#q", "Enter")
    page.wait_for_url("**/search?q=diffusion+models*")
    assert page.locator("#results li.hit").count() > 0
    context.close()
