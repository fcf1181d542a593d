"""The web page in a real headless browser (Debian's Chromium through Playwright): it loads, a
question streams back the ledger's exact figure, and an accepted category suggestion sticks.

Needs ``playwright`` (pip) and Chromium (``apt-get install chromium``); ``.ci/run`` installs both
and sets ``BUDGETLM_REQUIRE_BROWSER=1`` so the test cannot skip there.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from budgetlm.assistant.tools import ToolCall, execute, load_context
from budgetlm.ledger.household import load_household
from budgetlm.ledger.repository import Ledger
from budgetlm.ledger.store import Store
from budgetlm.ledger.synth import generate_household
from budgetlm.server.app import create_app
from budgetlm.server.config import ServerConfig
from conftest import TODAY, uvicorn_running

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
if os.environ.get("BUDGETLM_REQUIRE_BROWSER") == "1":  # CI installs both: never skip there
    from playwright import sync_api
else:
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

STATEMENT = """Date,Description,Amount
11/02/2026,TRADER JOE'S #552 PORTLAND OR,-64.10
11/05/2026,SHELL OIL 5744 PORTLAND OR,-41.00
11/09/2026,SQ *BLUE STAR DONUTS PORTLAND,-9.75
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('web') / 'ledger.db'}")
    household = generate_household("young_renter", months=4, seed=4, end=date(2026, 10, 31))
    with store.session() as session:
        ledger = Ledger(session, store.workspace_id("default"))
        load_household(ledger, household)
        spent = execute(
            ToolCall("spending", {"category": "Groceries", "period": "last_month"}),
            load_context(ledger, TODAY),
        )
    config = ServerConfig(db_url=str(store.url), today=TODAY, model_timeout_seconds=120)
    with uvicorn_running(create_app(config, store=store)) as url:
        import httpx

        with httpx.Client(base_url=url, trust_env=False, timeout=60) as client:
            files = {"file": ("november.csv", STATEMENT.encode(), "text/csv")}
            made = client.post("/api/v1/imports", files=files, data={"account": "Checking"})
            assert made.status_code == 201, made.text
            assert client.post("/api/v1/categorize/ledger", json={}).status_code == 200
        yield {"url": url, "groceries": f"${spent.figures['total']:,.2f}", "store": store}
    store.close()


@pytest.fixture
def page(site: dict[str, Any]) -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(site["url"] + "/")
        page.wait_for_selector("body[data-loaded=true]", timeout=60_000)
        yield page
        assert errors == [], errors  # no script error on the page
        browser.close()


def test_the_page_loads_every_panel(page: Any) -> None:
    assert page.title() == "budgetlm"
    assert "workspace: default" in page.text_content("#workspace")
    assert page.locator("#transactions-table tr").count() > 0
    assert page.locator("#category-chart rect").count() > 0
    assert page.locator("#forecast-chart polyline").count() == 1
    assert page.locator("#insights-list li").count() > 0
    assert page.locator("#chat .error, #budget .error, #bills .error").count() == 0


def test_a_question_streams_back_the_ledgers_figure(page: Any, site: dict[str, Any]) -> None:
    page.fill("#question", "How much did I spend on groceries last month?")
    page.click("#ask-form button")
    page.wait_for_selector(".message.assistant[data-state=done]", timeout=120_000)
    answer = page.text_content(".message.assistant")
    assert site["groceries"] in answer, answer


def test_an_accepted_suggestion_sticks(page: Any, site: dict[str, Any]) -> None:
    first = page.locator("#review-table tr").first
    transaction = first.get_attribute("data-transaction")
    suggestion = first.locator("button.accept").text_content().removeprefix("Accept ")
    first.locator("button.accept").click()
    page.wait_for_selector(f'#review-table tr[data-transaction="{transaction}"]', state="detached")
    page.reload()
    page.wait_for_selector("body[data-loaded=true]")
    row = page.locator(f'#transactions-table tr[data-transaction="{transaction}"]')
    assert row.locator(".category").text_content() == suggestion
    assert page.locator(f'#review-table tr[data-transaction="{transaction}"]').count() == 0


def test_the_coach_s_advice_is_answered_once_and_remembered(
    page: Any, site: dict[str, Any]
) -> None:
    from budgetlm.ledger.advice_log import recommendations

    advice = page.text_content("#coach-advice")
    assert "$" in advice, advice
    page.click('#coach-actions button[data-followed="true"]')
    page.wait_for_selector("#coach-actions >> text=Noted: done")
    page.reload()
    page.wait_for_selector("body[data-loaded=true]")
    assert page.text_content("#coach-advice") == advice  # one piece of advice a month
    assert "Noted: done" in page.text_content("#coach-actions")
    with site["store"].session() as session:
        [logged] = recommendations(Ledger(session, site["store"].workspace_id("default")))
    assert logged.followed is True and logged.message == advice
