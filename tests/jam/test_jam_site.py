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


@pytest.fixture(params=["onnx", "js"])
def static_site(request, tmp_path, drums_model, melody_model):
    """`export-site` output served by Python's plain static file server (no jam server), with
    the models run by onnxruntime-web (the default) or by model.js."""
    from latentjam.jam.site import export_site

    root = export_site(
        {"drums": drums_model, "melody": melody_model}, tmp_path / "site", runtime=request.param
    )
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

    browser.set_script_timeout(180)
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
            browser.execute_async_script(
                "const done = arguments[arguments.length - 1];"
                "const net = window.latentjam.local.nets[arguments[0]];"
                "(async () => { const out = [];"
                "  for (const z of arguments[1])"
                "    out.push(Array.from(await net.decode(Float64Array.from(z))));"
                "  return out; })().then(done, e => done(String(e)));",
                name,
                z.tolist(),
            )
        ).reshape(want.shape)
        if name == "drums":
            np.testing.assert_array_equal(got[..., :9], want[..., :9])  # identical hits
            np.testing.assert_allclose(got[..., 9:], want[..., 9:], atol=1e-4)
        else:
            np.testing.assert_array_equal(got.argmax(-1), want.argmax(-1))  # identical events
        mu = browser.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "const net = window.latentjam.local.nets[arguments[0]];"
            "Promise.resolve(net.encode(Float64Array.from(arguments[1])))"
            "  .then(m => done(Array.from(m)), e => done(String(e)));",
            name,
            x.reshape(-1).tolist(),
        )
        np.testing.assert_allclose(mu, mu_want, atol=1e-4)
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors


def _step_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Mean over steps of the total variation between two sample sets' per-step marginals:
    a, b (n, T, D) one-hot melody steps or binary drum hits (each hit cell a Bernoulli)."""
    return float(np.abs(a.mean(0) - b.mean(0)).sum(-1).mean() / 2)


@pytest.mark.parametrize("name", ["drums", "melody"])
def test_the_page_samples_from_the_python_models_distribution(
    browser, static_site, drums_model, melody_model, name
):
    """At temperature 1 the page's draws and the Python model's draws for the same latent differ
    no more than two sets of Python draws do; greedy decodes (temperature 0) differ more."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.set_script_timeout(180)
    browser.get(static_site)
    wait = WebDriverWait(browser, 60, poll_frequency=0.05)
    wait.until(lambda d: d.find_element(By.ID, "status").get_attribute("data-state") == "open")
    jm = drums_model if name == "drums" else melody_model
    n = 300
    z = torch.randn(1, jm.latent_dim, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        gen = torch.Generator().manual_seed(11)
        draws = [jm.model.decode(z.expand(n, -1), sample=True, generator=gen) for _ in range(2)]
    python_a, python_b = (d.numpy() for d in draws)
    page = {}
    for temperature in (1.0, 0.0):
        page[temperature] = np.asarray(
            browser.execute_async_script(
                "const done = arguments[arguments.length - 1];"
                "const net = window.latentjam.local.nets[arguments[0]];"
                "let s = 12345;"  # a seeded uniform generator (mulberry32)
                "const rand = () => { s = (s + 0x6D2B79F5) | 0;"
                "  let t = Math.imul(s ^ (s >>> 15), 1 | s);"
                "  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;"
                "  return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };"
                "const z = Float64Array.from(arguments[1]);"
                "(async () => { const out = [];"
                "  for (let i = 0; i < arguments[2]; i++)"
                "    out.push(Array.from(await net.decode(z, arguments[3], rand)));"
                "  return out; })().then(done, e => done(String(e)));",
                name,
                z[0].tolist(),
                n,
                temperature,
            )
        ).reshape(python_a.shape)
    cells = slice(0, 9) if name == "drums" else slice(None)  # hits, or the one-hot events
    noise = _step_distance(python_a[..., cells], python_b[..., cells])
    sampled = _step_distance(page[1.0][..., cells], python_a[..., cells])
    greedy = _step_distance(page[0.0][..., cells], python_a[..., cells])
    assert sampled <= 1.5 * noise + 0.01, (sampled, noise)
    assert greedy > 2 * noise, (greedy, noise)  # the check can tell sampling from greedy


def test_the_static_site_drumifies_taps_like_the_server(browser, tmp_path, drums_model):
    """onnx runtime: the drum model's tap-to-groove mode runs in the page; at temperature 0 its
    groove is the jam server's groove for the same call, note for note, and keeps every tap."""
    import functools
    import http.server
    import threading

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from latentjam.jam.protocol import parse_message
    from latentjam.jam.session import Session, respond_batch
    from latentjam.jam.site import export_site

    root = export_site({"drums": drums_model}, tmp_path / "site", runtime="onnx")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        browser.set_script_timeout(120)
        browser.get(f"http://127.0.0.1:{httpd.server_address[1]}/")
        wait = WebDriverWait(browser, 60, poll_frequency=0.05)
        wait.until(lambda d: d.find_element(By.ID, "status").get_attribute("data-state") == "open")
        modes = browser.execute_script(
            "return Array.from(document.getElementById('mode').options).map(o => o.value)"
        )
        assert "drumify" in modes
        browser.execute_script(
            "document.getElementById('mode').value = 'drumify';"
            "document.getElementById('temperature').value = 0;"
        )
        taps = (0, 3, 6, 8, 11, 14, 16, 19, 22, 24, 27, 30)
        for step in taps:
            browser.execute_script(f"toggleCell(0, {step})")
        browser.find_element(By.ID, "send").click()
        wait.until(lambda d: d.execute_script("return window.latentjam.replies") == 1)
        reply = browser.execute_script("return window.latentjam.reply")
        call = browser.execute_script("return window.latentjam.lastCall")
    finally:
        httpd.shutdown()
    assert {n["step"] for n in reply} >= set(taps)  # every tap kept
    assert len({n["pitch"] for n in reply}) > 1  # a groove, not the taps back
    info = {"drums": {"kind": "drums", "attributes": list(drums_model.attributes)}}
    message = {k: call[k] for k in ("type", "model", "bars", "qpm", "notes", "params")}
    message["params"] = {"mode": "drumify", "temperature": 0.0}
    (event,) = respond_batch(
        [(Session(drums_model, "s"), parse_message(message, models=info).call)]
    )
    server = sorted((n["pitch"], n["step"]) for n in event["notes"])
    assert sorted((n["pitch"], n["step"]) for n in reply) == server
