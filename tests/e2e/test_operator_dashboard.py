"""The dashboard's operator views across the running services, in headless Chromium: the router's
unassigned pool with its reassign action (a refused move shows the router's reason, an accepted one
moves the lead) and onboarding progress, both through analytics' /ops routes.

Named to run after test_lead_flow, which counts every lead on the shared intake topic: the
address-less lead this test pools would be one more there."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from leadflow_system.leads import LeadStream, location_places
from leadflow_system.seed import contacts_of, seed
from leadflow_system.system import API_TOKEN, INTAKE_LOCATION_ID, LocalSystem
from leadflow_system.traffic import deliver_all
from tests.e2e.conftest import Franchise
from tests.support.browser import chromium, clean_downloads, wait_for_file, wait_until
from tests.support.fault_checks import wait_for

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


def addressless_lead(franchise: Franchise) -> dict[str, Any]:
    """A contact without any address: nothing to geocode, so the router pools it."""
    stream = LeadStream(INTAKE_LOCATION_ID, location_places(franchise.csv_paths), rng=random.Random(1612))
    body = stream.contact(0)
    for field in ("address1", "city", "state", "postalCode"):
        body.pop(field, None)
    return body


async def test_pool_and_onboarding_views(system: LocalSystem, franchise: Franchise, tmp_path: Path) -> None:
    lead = addressless_lead(franchise)
    seed(system.url("ghl-simulator"), contacts=contacts_of([lead]))
    assert await deliver_all(system.url("ingest") + "/webhooks/ghl", [lead]) == Counter({200: 1})
    router = httpx.AsyncClient(base_url=system.url("router"), headers=AUTH, timeout=10)

    async def pooled() -> dict[str, Any] | None:
        answer = await router.get(f"/routes/{lead['id']}")
        return answer.json() if answer.status_code == 200 else None

    decided = await wait_for(pooled, 60, "the address-less lead decided")
    assert decided["assignment"]["location_id"] is None, decided
    target = sorted(franchise.active)[0]
    downloads = tmp_path / "downloads"
    clean_downloads(downloads)
    await asyncio.to_thread(
        browse, system.url("analytics"), lead["id"], target, set(franchise.active), downloads
    )

    moved = (await router.get(f"/routes/{lead['id']}")).json()
    await router.aclose()
    assert moved["assignment"]["location_id"] == target
    assert any("dashboard:ops-tester" in str(d) for d in moved["decisions"]), moved["decisions"]


def pool_row(driver: WebDriver, lead_id: str) -> Any:
    """The lead's row, paging on through the pool (other tests pool leads too)."""
    for _ in range(20):
        found = driver.find_elements(By.CSS_SELECTOR, f'tr.pool-row[data-lead="{lead_id}"]')
        if found:
            return found[0]
        next_page = driver.find_element(By.ID, "pool-next")
        if not next_page.is_enabled():
            return None
        info = driver.find_element(By.ID, "pool-info").text
        next_page.click()
        wait_until(driver, lambda d, info=info: d.find_element(By.ID, "pool-info").text != info)
    return None


def browse(base: str, lead_id: str, target: str, active: set[str], downloads: Path) -> None:
    with chromium(downloads) as driver:
        driver.get(f"{base}/dashboard#token={API_TOKEN}&view=pool")
        wait_until(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "tr.pool-row"))
        row = wait_until(driver, lambda d: pool_row(d, lead_id))
        driver.find_element(By.ID, "actor").send_keys("ops-tester")

        # a move the router refuses: its reason is shown and the lead stays in the pool
        row.find_element(By.CSS_SELECTOR, "input.reassign-target").send_keys("NOPE-0000")
        row.find_element(By.CSS_SELECTOR, "button.reassign").click()
        message = wait_until(driver, lambda d: d.find_element(By.ID, "pool-message").text)
        assert message.startswith(f"{lead_id} not reassigned: 4"), message
        assert "NOPE-0000" in message or "location" in message, message

        # an accepted one: the router's answer is shown and the lead leaves the pool
        row = wait_until(driver, lambda d: pool_row(d, lead_id))
        field = row.find_element(By.CSS_SELECTOR, "input.reassign-target")
        field.clear()
        field.send_keys(target)
        row.find_element(By.CSS_SELECTOR, "button.reassign").click()
        wait_until(
            driver,
            lambda d: d.find_element(By.ID, "pool-message").text == f"{lead_id} reassigned to {target}",
        )
        assert not driver.find_elements(By.CSS_SELECTOR, f'tr.pool-row[data-lead="{lead_id}"]')

        # onboarding progress: every franchise location active, exported as shown
        driver.find_element(By.CSS_SELECTOR, 'nav button[data-view="onboarding"]').click()
        wait_until(
            driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, "tr.onboarding-row")) >= len(active)
        )
        statuses = {
            r.get_attribute("data-location"): r.find_elements(By.TAG_NAME, "td")[2].text
            for r in driver.find_elements(By.CSS_SELECTOR, "tr.onboarding-row")
        }
        assert {statuses.get(loc) for loc in active} == {"active"}
        assert "active:" in driver.find_element(By.ID, "onboarding-summary").text
        driver.find_element(By.ID, "export-onboarding").click()
        lines = wait_for_file(downloads, "onboarding.csv").strip().splitlines()
        assert lines[0].startswith("Location,Name,Status")
        assert {line.split(",")[0] for line in lines[1:]} == set(statuses)
