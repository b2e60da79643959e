"""The built book, as a reader sees it: headless Chromium, served from 127.0.0.1, nothing else reachable.

Run by `make browser` (part of `make test`) after the book is built into _build/html. Every page of
the table of contents must load with no console error; equations must render with MathJax (served
from the book itself, loaded on the pages that have math) and without MathJax errors; figures must
load; solution dropdowns must open; search must find a term; the Colab setup cell must not show;
launch buttons must point at the page's own notebook, which the download button serves. Screenshots
of a few pages are saved to _build/screenshots/.
"""

import functools
import http.server
import importlib.util
import threading
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"


_spec = importlib.util.spec_from_file_location("check_notebooks", ROOT / "scripts" / "check_notebooks.py")
check_notebooks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_notebooks)
PAGES = check_notebooks.toc_files(ROOT / "_toc.yml")


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def base_url():
    assert (HTML / "index.html").exists(), "build the book first (make book or make book-noexec)"
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(HTML)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,1600",
        # Every host but 127.0.0.1 is unreachable: the book must work offline.
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium')}",
    ]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def load(browser, url):
    browser.get(url)
    browser.get_log("browser")  # discard anything logged before this page
    browser.refresh()
    WebDriverWait(browser, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")
    # Wait until MathJax has typeset the page (it is loaded on every page).
    browser.set_script_timeout(30)
    browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
            MathJax.startup.promise.then(() => done(true), () => done(false));
        } else { done(false); }""")


@pytest.mark.parametrize("page", PAGES)
def test_page_loads_renders_math_and_figures(browser, base_url, page):
    load(browser, f"{base_url}/{page}.html")
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, f"{page}: console errors: {errors}"
    n_math = len(browser.find_elements(By.CSS_SELECTOR, ".math"))
    if n_math:  # pages with equations load MathJax, from the book itself, and it renders them all
        assert browser.execute_script("return !!(window.MathJax && MathJax.version)"), f"{page}: MathJax not loaded"
        mathjax_src = browser.execute_script(
            "return [...document.scripts].map(s => s.src).filter(s => s.includes('mathjax'))"
        )
        assert mathjax_src and all(s.startswith(base_url) for s in mathjax_src), mathjax_src
        n_rendered = len(browser.find_elements(By.CSS_SELECTOR, "mjx-container"))
        assert n_rendered >= n_math, f"{page}: {n_math} equations in the page, {n_rendered} rendered"
    assert not browser.find_elements(By.CSS_SELECTOR, "mjx-merror"), f"{page}: MathJax error"
    broken = browser.execute_script(
        "return [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"
    )
    assert not broken, f"{page}: images that did not load: {broken}"
    if (ROOT / f"{page}.ipynb").exists():
        links = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "a")]
        launch = [h for h in links if h and ("mybinder.org" in h or "colab.research.google.com" in h)]
        assert len(launch) >= 2, f"{page}: Binder and Colab launch buttons missing"
        assert all(h.endswith(f"{page}.ipynb") for h in launch), launch
        download = [h for h in links if h and h.endswith(f"_sources/{page}.ipynb")]
        assert download, f"{page}: no download link to the notebook"
        ok = browser.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "fetch(arguments[0]).then(r => r.json()).then(nb => done(Array.isArray(nb.cells)), () => done(false));",
            download[0],
        )
        assert ok, f"{page}: the downloaded notebook is not a notebook"
        text = browser.find_element(By.CSS_SELECTOR, "main").text
        assert "google.colab" not in text, f"{page}: the Colab setup cell shows on the page"
    if page in PAGES[:3] or page.endswith(("05_lstm_cell", "07_long_time_lags")):
        SHOTS.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(SHOTS / f"{Path(page).name}.png"))


def test_solution_dropdown_opens(browser, base_url):
    page = next(p for p in PAGES if (ROOT / f"{p}.ipynb").exists())
    load(browser, f"{base_url}/{page}.html")
    solution = browser.find_element(By.CSS_SELECTOR, "div.solution.dropdown")
    WebDriverWait(browser, 10).until(lambda d: "toggle-hidden" in solution.get_attribute("class"))
    text = solution.find_element(By.CSS_SELECTOR, ":scope > :not(.admonition-title) p")
    assert text.get_attribute("textContent").strip(), "the solution is empty"
    assert not text.is_displayed(), "solution visible before it is opened"
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", solution)
    solution.find_element(By.CSS_SELECTOR, ".admonition-title button.toggle-button").click()
    WebDriverWait(browser, 10).until(lambda d: text.is_displayed())


def test_search_finds_a_term(browser, base_url):
    load(browser, f"{base_url}/search.html?q=hidden+state")
    WebDriverWait(browser, 30).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, "#search-results ul.search li")) > 0
    )
    titles = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#search-results ul.search li a")]
    assert any(titles), titles
