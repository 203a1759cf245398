"""Browser tests: Debian's Chromium, driven by Playwright, against the blog served by a real gunicorn on a
loopback port. Each module gets its own server (its settings from ``blog_settings``) and its own browser;
every test here is marked ``browser`` and skips, saying so, only when /usr/bin/chromium is missing."""

import contextlib
import shutil

import pytest
from playwright.sync_api import sync_playwright

from tests.browser.browsing import CHROMIUM, CHROMIUM_ARGS, NO_CHROMIUM, open_tab, prepare_instance, serve_blog


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium, kept off every network but loopback."""
    if not CHROMIUM.exists():
        pytest.skip(NO_CHROMIUM)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def blog_settings() -> dict:
    """The module's settings on top of the test ones; a module overrides this fixture to change them."""
    return {}


@pytest.fixture(scope="session")
def prepared_instance(tmp_path_factory):
    """Migrated, seeded and with its admin once; each module's server starts from a copy."""
    instance = tmp_path_factory.mktemp("browser-template") / "instance"
    prepare_instance(instance)
    return instance


@pytest.fixture(scope="module")
def blog(browser, blog_settings, prepared_instance, tmp_path_factory):
    """The seeded blog with an admin "boss", served by gunicorn for this module's tests."""
    instance = shutil.copytree(prepared_instance, tmp_path_factory.mktemp("browser-blog") / "instance")
    with serve_blog(instance, **blog_settings) as server:
        yield server


@pytest.fixture
def tab(browser, blog):
    """A fresh browser context on the blog, in English, with one page."""
    with open_tab(browser, blog) as fresh:
        yield fresh


@pytest.fixture
def new_tab(browser, blog):
    """More contexts for one test (another reader, an admin, another language or window size)."""
    with contextlib.ExitStack() as stack:
        yield lambda **options: stack.enter_context(open_tab(browser, blog, **options))

