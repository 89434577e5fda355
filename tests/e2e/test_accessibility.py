"""axe-core finds no accessibility violations on the public top page and the staff login page."""

from __future__ import annotations

from pathlib import Path

import axe_playwright_python
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE_JS = Path(axe_playwright_python.__file__).parent / "axe.min.js"


def axe_violations(page) -> list[dict]:
    page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"
    )
    assert result["passes"], "axe ran no checks"
    return [{"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]]}
            for v in result["violations"]]


def test_public_top_page_has_no_violations(page, campaign):
    page.goto("/")
    assert page.get_by_role("heading", level=1).inner_text() == campaign.name
    assert axe_violations(page) == []


def test_public_top_page_on_a_phone(browser, live_server, campaign):
    context = browser.new_context(locale="ja-JP", viewport={"width": 375, "height": 740}, base_url=live_server.url)
    phone = context.new_page()
    phone.goto("/")
    assert axe_violations(phone) == []
    # Nothing wider than the screen: no sideways scrolling on a phone.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    context.close()


def test_staff_login_page_has_no_violations(page):
    page.goto("/staff/login/")
    assert axe_violations(page) == []


def test_the_skip_link_is_first_and_reaches_the_main_content(page, campaign):
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "本文へ移動"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
