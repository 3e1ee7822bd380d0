"""The web pages in a real headless browser (Debian's chromium driven by Selenium): compare two
images or two texts, identify against the gallery, drop a file, and give an API key.

Skips, saying why, where chromium, chromedriver or selenium is missing. CI installs them with
``apt-get install -y chromium chromium-driver`` and ``pip install selenium``."""

from __future__ import annotations

import base64
import shutil
import tempfile
import threading
import time

import pytest
from PIL import Image
from serve_helpers import free_port, image_model, png_bytes, text_model

from siamkit.gallery import Gallery
from siamkit.serve import create_app

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM or not DRIVER:
        pytest.skip("chromium and chromedriver are not installed "
                    "(apt-get install -y chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver",
                                    reason="selenium is not installed (pip install selenium)")
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="siamkit-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS + [f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=DRIVER))
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


class Server:
    """uvicorn serving an app in a thread of this process (so in-memory test models work)."""

    def __init__(self, app):
        import uvicorn

        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port,
                                                    log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(timeout=30)


def wait_for(driver, element_id, condition, timeout=20):
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, timeout)
    return wait.until(lambda d: condition(d.find_element("id", element_id)))


def files(tmp_path):
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    a.write_bytes(png_bytes(1))
    b.write_bytes(png_bytes(2))
    return a, b


def test_compare_two_images(browser, tmp_path):
    model = image_model(threshold=-1.0)
    a, b = files(tmp_path)
    want = model.similarity([Image.open(a)], [Image.open(b)]).item()
    with Server(create_app(model)) as url:
        browser.get(url + "/")
        wait_for(browser, "model-info", lambda e: "image model" in e.text)
        assert "threshold -1.0000" in browser.find_element("id", "model-info").text
        browser.find_element("id", "file-a").send_keys(str(a))
        browser.find_element("id", "file-b").send_keys(str(b))
        browser.find_element("id", "compare").click()
        wait_for(browser, "result", lambda e: e.is_displayed())
        assert float(browser.find_element("id", "score").text) == pytest.approx(want, abs=1e-4)
        assert browser.find_element("id", "threshold").text == "-1.0000"
        decision = browser.find_element("id", "decision").text
        assert decision == ("Same" if want >= -1.0 else "Different")


def test_compare_two_texts_without_threshold(browser):
    with Server(create_app(text_model(threshold=None))) as url:
        browser.get(url + "/")
        wait_for(browser, "model-info", lambda e: "text model" in e.text)
        assert not browser.find_element("id", "text-a").get_attribute("hidden")
        browser.find_element("id", "text-a").send_keys("where is my parcel")
        browser.find_element("id", "text-b").send_keys("where is my parcel")
        browser.find_element("id", "compare").click()
        wait_for(browser, "result", lambda e: e.is_displayed())
        assert browser.find_element("id", "score").text == "1.0000"
        assert browser.find_element("id", "decision").text == "No decision (no threshold)"
        assert "not calibrated" in browser.find_element("id", "threshold").text


def test_identify_an_image_dropped_on_the_page_with_an_api_key(browser, tmp_path):
    model = image_model(threshold=-0.5)
    a, b = files(tmp_path)
    gallery = Gallery(model)
    gallery.enroll("cat", [a])
    gallery.enroll("dog", [b])
    with Server(create_app(model, gallery, api_key="s3cret")) as url:
        browser.get(url + "/identify")
        browser.execute_script("localStorage.clear()")
        browser.refresh()
        wait_for(browser, "key-form", lambda e: e.is_displayed())  # 401 -> ask for the key
        browser.find_element("id", "api-key").send_keys("s3cret")
        browser.find_element("css selector", "#key-form button").click()
        wait_for(browser, "model-info", lambda e: "gallery of 2 identities" in e.text)
        # drop a file on the zone, as a user dragging it from a file manager would
        browser.execute_script("""
            const bytes = Uint8Array.from(atob(arguments[0]), c => c.charCodeAt(0));
            const dt = new DataTransfer();
            dt.items.add(new File([bytes], "dropped.png", {type: "image/png"}));
            const zone = document.getElementById("drop-a");
            const init = {dataTransfer: dt, bubbles: true, cancelable: true};
            zone.dispatchEvent(new DragEvent("drop", init));
        """, base64.b64encode(a.read_bytes()).decode())
        browser.find_element("id", "identify").click()
        wait_for(browser, "result", lambda e: e.is_displayed())
        assert browser.find_element("id", "decision").text == "Identified: cat"
        rows = browser.find_elements("css selector", "#candidates tbody tr")
        assert [r.find_elements("tag name", "td")[1].text for r in rows] == ["cat", "dog"]
        # an unreadable upload shows the server's message instead of a result
        bad = tmp_path / "bad.png"
        bad.write_bytes(b"not an image")
        browser.find_element("id", "file-a").send_keys(str(bad))
        browser.find_element("id", "identify").click()
        wait_for(browser, "error", lambda e: "not a readable image" in e.text)
        assert not browser.find_element("id", "result").is_displayed()


def test_compare_page_of_an_image_model_shows_only_the_image_inputs(browser):
    # `.pair { display: flex }` once beat the hidden attribute: text and vector boxes showed too
    with Server(create_app(image_model())) as url:
        browser.get(url + "/")
        wait_for(browser, "model-info", lambda e: "image model" in e.text)
        assert browser.find_element("id", "drop-a").is_displayed()
        for box in ("text-a", "text-b", "vector-a", "vector-b"):
            assert not browser.find_element("id", box).is_displayed(), box
        assert not browser.find_element("id", "key-form").is_displayed()


def test_docs_page_renders_swagger_ui_from_this_server_only(browser):
    with Server(create_app(image_model())) as url:
        browser.get(url + "/docs")
        # Swagger UI's script ran and read the schema: the API title and an operation are drawn
        wait_for(browser, "swagger-ui", lambda e: "siamkit service" in e.text
                 and e.find_elements("css selector", ".opblock"))
        assert browser.find_elements("css selector", ".swagger-ui .info .title")
        loaded = browser.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)"
            ".concat([...document.querySelectorAll('script[src], link[href]')]"
            ".map(e => e.src || e.href))")
        assert loaded and all(u.startswith(url + "/") for u in loaded), loaded
