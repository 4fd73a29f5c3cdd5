"""The dashboard page in headless Chromium against the real service: token flow, the performance
table with filters and paging, the hourly chart with its axes, CSV export and a screenshot that
shows the data (views of the router's pool and onboarding progress: tests/e2e/test_operator_dashboard.py)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import uvicorn
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from analytics.main import create_app
from analytics.settings import AnalyticsSettings
from tests.integration.analytics.event_stream import generate, window
from tests.integration.analytics.service import TOKEN, produce_items, running_app, wait_for_applied
from tests.support.browser import chromium, clean_downloads, pixels_of, wait_for_file, wait_until
from tests.support.infra import Infra


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def serve(settings: AnalyticsSettings, port: int) -> AsyncIterator[uvicorn.Server]:
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_config=None, lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.05)
    try:
        yield server
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)


BAR_BLUE = (0x44, 0x77, 0xAA)  # svg .bars rect { fill: #47a }


def rows(driver: WebDriver, css: str = "tr.location-row") -> list[Any]:
    return list(driver.find_elements(By.CSS_SELECTOR, css))


async def test_dashboard_in_chromium(infra: Infra, settings: AnalyticsSettings, tmp_path: Path) -> None:
    stream = generate(31, n_locations=60, n_leads=180)
    async with running_app(settings.model_copy(update={"cache_ttl_s": 0.0})) as client:
        await produce_items(infra.kafka, stream.items)
        await wait_for_applied(client, len(stream.items), settled=settings)
        everything = (await client.get("/locations/performance", params={**window(31), "limit": 200})).json()
        one_state = everything["items"][0]["state"]
        in_state = (
            await client.get(
                "/locations/performance", params={**window(31), "limit": 200, "state": one_state}
            )
        ).json()
    assert everything["total"] == 60 and 0 < in_state["total"] < 60
    port = free_port()
    served = settings.model_copy(update={"consume": False, "http_port": port})
    downloads = tmp_path / "downloads"
    clean_downloads(downloads)
    async with serve(served, port):
        await asyncio.to_thread(
            browse, f"http://127.0.0.1:{port}", downloads, everything, in_state, one_state
        )


def browse(
    base: str, downloads: Path, everything: dict[str, Any], in_state: dict[str, Any], one_state: str
) -> None:
    with chromium(downloads) as driver:
        # a wrong token: the page asks for one instead of showing a broken table
        driver.get(f"{base}/dashboard#token=wrong")
        wait_until(driver, lambda d: d.find_element(By.ID, "token-form").is_displayed())
        assert "refused" in driver.find_element(By.ID, "token-error").text
        # typing the right one opens it
        driver.find_element(By.ID, "token-input").send_keys(TOKEN)
        driver.find_element(By.CSS_SELECTOR, "#token-form button").click()
        wait_until(driver, lambda d: len(rows(d)) > 0)

        # the link the demo prints works on first click, and the token leaves the address bar
        driver.delete_all_cookies()
        driver.execute_script("sessionStorage.clear()")
        driver.get(f"{base}/dashboard#{urlencode({'token': TOKEN, **window(31), 'location': 'S31-0001'})}")
        wait_until(driver, lambda d: len(rows(d)) == 60)  # 200 per page
        assert "token" not in driver.current_url
        assert driver.find_element(By.ID, "error").text == ""
        assert "page 1 of 1 (60 locations)" in driver.find_element(By.ID, "page-info").text
        assert "Conversion:" in driver.find_element(By.ID, "summary").text

        # the chart: bars of the chosen location, a y axis in leads per hour, an x axis in UTC hours
        wait_until(driver, lambda d: "S31-0001" in d.find_element(By.ID, "chart-title").text)
        chart = driver.find_element(By.ID, "chart")
        assert len(chart.find_elements(By.CSS_SELECTOR, ".bars rect")) > 0
        assert "leads / hour" in chart.find_element(By.CSS_SELECTOR, ".y-axis").text
        assert "hour (UTC)" in chart.find_element(By.CSS_SELECTOR, ".x-axis").text
        ticks = [t.text for t in chart.find_elements(By.CSS_SELECTOR, ".y-axis text")]
        assert ticks[0] == "0" and len(ticks) >= 3

        # paging beyond one page: 50 per page walks 60 locations in two pages, each once
        Select(driver.find_element(By.ID, "f-limit")).select_by_visible_text("50")
        wait_until(driver, lambda d: len(rows(d)) == 50)
        first = [r.get_attribute("data-location") for r in rows(driver)]
        driver.find_element(By.ID, "next").click()
        wait_until(driver, lambda d: len(rows(d)) == 10)
        second = [r.get_attribute("data-location") for r in rows(driver)]
        assert "page 2 of 2" in driver.find_element(By.ID, "page-info").text
        assert not driver.find_element(By.ID, "next").is_enabled()
        assert sorted(first + second) == sorted(i["location_id"] for i in everything["items"])

        # a filter the API answers: only that state's locations, back on page 1
        Select(driver.find_element(By.ID, "f-state")).select_by_value(one_state)
        wait_until(driver, lambda d: len(rows(d)) == min(50, in_state["total"]))
        shown = {r.get_attribute("data-location") for r in rows(driver)}
        assert shown <= {i["location_id"] for i in in_state["items"]}

        # CSV export of exactly what is shown
        driver.find_element(By.ID, "export-locations").click()
        lines = wait_for_file(downloads, "locations.csv").strip().splitlines()
        assert lines[0].startswith("Location,Name,Region,State,Status,Leads")
        assert {line.split(",")[0] for line in lines[1:]} == shown

        # the screenshot shows the data: the chart's bars are drawn in their colour
        Select(driver.find_element(By.ID, "f-state")).select_by_value("")
        wait_until(driver, lambda d: len(rows(d)) == 50)
        driver.execute_script("window.scrollTo(0, 0)")
        png = driver.get_screenshot_as_png()
        assert pixels_of(png, BAR_BLUE) > 500, "no chart bars visible in the screenshot"
