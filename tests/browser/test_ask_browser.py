"""Ask in a real browser: three questions of a conversation, answered offline, screenshot saved."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect
from test_smoke import (  # the server and browser of the smoke test, reused
    PAGE_TIMEOUT_MS,
    SCREENSHOTS,
    Server,
    _assert_clean,
    _log_in,
    _settle,
    browser,
    server,
)

pytestmark = pytest.mark.browser
__all__ = ["browser", "server"]

QUESTIONS = (
    "Top 5 resource groups last month",
    "and the month before?",
    "Daily cost of virtual machines over the last 30 days",
)


def test_a_conversation_on_the_ask_page(server: Server, browser: Browser) -> None:
    # Tall enough for the whole conversation: the chat scrolls inside its own container.
    page = browser.new_page(viewport={"width": 1440, "height": 4200})
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    page.goto(server.url)
    _log_in(page, server.username, server.password)
    _settle(page)
    page.locator('[data-testid="stPageLink-NavLink"]').filter(has_text="Ask").first.click()
    expect(page.get_by_text("Ask · Contoso Pharma")).to_be_visible()
    _settle(page)
    for question in QUESTIONS:
        box = page.get_by_test_id("stChatInputTextArea")
        box.fill(question)
        box.press("Enter")
        _settle(page)
    _assert_clean(page, "Ask")
    expect(page.get_by_text("By resource group in October 2026", exact=False)).to_be_visible()
    expect(page.get_by_text("By resource group in September 2026", exact=False)).to_be_visible()
    expect(page.locator('[data-testid="stChatMessage"]')).to_have_count(6)
    expect(page.get_by_text("Answered by the offline engine.")).to_have_count(3)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "ask-conversation.png", full_page=True)
