"""Headless Chromium (Debian's chromium + chromedriver, installed when missing) driven by Selenium,
for the dashboard page's tests: real rendering, clicks, downloads and screenshots."""

from __future__ import annotations

import io
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from devstack.procs import apt_install

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
T = TypeVar("T")


def ensure_chromium() -> None:
    missing = [
        pkg
        for pkg, path in (("chromium", CHROMIUM), ("chromium-driver", CHROMEDRIVER))
        if not Path(path).exists()
    ]
    if missing:
        apt_install(*missing)


@contextmanager
def chromium(downloads: Path) -> Iterator[WebDriver]:
    ensure_chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
    ):
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
    )
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def wait_until(driver: WebDriver, condition: Callable[[WebDriver], T], timeout_s: float = 30.0) -> T:
    """Poll ``condition`` (falsy or raising = not yet); fails with the page's error line."""
    try:
        return WebDriverWait(driver, timeout_s, poll_frequency=0.1, ignored_exceptions=(Exception,)).until(
            condition
        )
    except Exception as exc:
        error = driver.execute_script("const e = document.getElementById('error'); return e && e.textContent")
        raise AssertionError(f"page never got there (page error: {error!r})") from exc


def wait_for_file(folder: Path, name: str, timeout_s: float = 20.0) -> str:
    path = folder / name
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if path.exists() and not list(folder.glob("*.crdownload")):
            return path.read_text(encoding="utf-8")
        time.sleep(0.1)
    raise AssertionError(f"{name} never downloaded into {folder}: {sorted(p.name for p in folder.iterdir())}")


def pixels_of(png: bytes, rgb: tuple[int, int, int], tolerance: int = 12) -> int:
    """How many pixels of a screenshot have (about) this colour."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    colours = image.getcolors(maxcolors=image.width * image.height) or []
    return sum(
        count
        for count, (r, g, b) in colours
        if max(abs(r - rgb[0]), abs(g - rgb[1]), abs(b - rgb[2])) <= tolerance
    )


def clean_downloads(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
