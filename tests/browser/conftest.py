"""Fixtures for the browser tests: a JupyterLab server per test module and a fresh Chromium page."""
import pytest

from .lab import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, LabServer


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    server = LabServer(tmp_path_factory.mktemp("lab"))
    server.install_tierjit_kernel()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        pg = context.new_page()
        pg.set_default_timeout(60_000)
        yield pg
        context.close()
        browser.close()
