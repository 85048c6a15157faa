"""The widget on the real demo store, served by Daphne (see conftest.live_server_url)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def test_demo_store_page_loads_the_widget_from_static(
    live_server_url: str, page: Page, artifacts_dir: Path
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server_url}/")
    launcher = page.locator("#support-bot-widget .sbw-launcher")
    expect(launcher).to_be_visible()  # visible only once widget.css has loaded next to widget.js
    launcher.click()
    expect(page.locator("#support-bot-widget [role=dialog]")).to_be_visible()
    expect(page.get_by_role("textbox", name="Your message")).to_be_focused()
    assert errors == []
    page.screenshot(path=str(artifacts_dir / "widget-store-desktop.png"))
