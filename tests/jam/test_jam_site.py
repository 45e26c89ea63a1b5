"""The jam as a static site: headless Chromium jams with the models running in the page and no
latentjam server, and the page's decoder gives the Python decoder's notes for the same latent
(its speed is measured in benchmarks/page_model.py)."""

from __future__ import annotations

import functools
import http.server
import threading

import numpy as np
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]
torch = pytest.importorskip("torch")


@pytest.fixture
def static_site(tmp_path, drums_model, melody_model):
    """`export-site` output served by Python's plain static file server (no jam server)."""
    from latentjam.jam.site import export_site

    root = export_site({"drums": drums_model, "melody": melody_model}, tmp_path / "site")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()


def test_the_static_site_jams_with_the_models_in_the_page(
    browser, static_site, drums_model, melody_model
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(static_site)
    wait = WebDriverWait(browser, 60, poll_frequency=0.05)
    wait.until(lambda d: d.find_element(By.ID, "status").get_attribute("data-state") == "open")
    assert "run in this page" in browser.find_element(By.ID, "status").text
    for step in (0, 8, 16, 24):
        browser.execute_script(f"toggleCell(0, {step})")
    for step in (4, 12, 20, 28):
        browser.execute_script(f"toggleCell(1, {step})")
    browser.find_element(By.ID, "send").click()
    wait.until(lambda d: d.execute_script("return window.latentjam.replies") == 1)
    reply = browser.execute_script("return window.latentjam.reply")
    assert reply and {n["pitch"] for n in reply} <= {36, 38, 42, 46, 43, 47, 50, 49, 51}
    assert browser.find_elements(By.CSS_SELECTOR, "#grid-reply .cell.on")
    # the page's greedy decode of a latent equals the Python model's, note for note
    for name, jm in (("drums", drums_model), ("melody", melody_model)):
        z = torch.randn(6, jm.latent_dim, generator=torch.Generator().manual_seed(3))
        with torch.no_grad():
            want = jm.model.decode(z).numpy()  # (6, T, D)
            x = jm.model.decode(z[:1]).numpy()[0]
            mu_want = jm.model.encode(torch.from_numpy(x)[None])[0][0].numpy()
        got = np.asarray(
            browser.execute_script(
                "const net = window.latentjam.local.nets[arguments[0]];"
                "return arguments[1].map(z => Array.from(net.decode(Float64Array.from(z))));",
                name,
                z.tolist(),
            )
        ).reshape(want.shape)
        if name == "drums":
            np.testing.assert_array_equal(got[..., :9], want[..., :9])  # identical hits
            np.testing.assert_allclose(got[..., 9:], want[..., 9:], atol=1e-4)
        else:
            np.testing.assert_array_equal(got.argmax(-1), want.argmax(-1))  # identical events
        mu = browser.execute_script(
            "const net = window.latentjam.local.nets[arguments[0]];"
            "return Array.from(net.encode(Float64Array.from(arguments[1])));",
            name,
            x.reshape(-1).tolist(),
        )
        np.testing.assert_allclose(mu, mu_want, atol=1e-4)
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors
