"""The models in the page: a 2-bar reply (encode the call + greedy decode) in headless Chromium,
with each page runtime, against the same model in Python (torch, one thread), side by side in
one run.

`latentjam export-site --runtime R` writes the static site into a temporary folder, Python's
static file server serves it, Debian's chromium (selenium + chromium-driver) opens it; the
page's net (onnx: the exported ONNX graphs in the vendored onnxruntime-web, WebAssembly, one
thread; js: src/latentjam/jam/static/model.js, a hand-written GRU forward) encodes a
four-on-the-floor call and decodes its latent 50 times; median ms.

    python benchmarks/page_model.py
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from results_file import write_results

RESULTS = Path(__file__).parent / "results" / "page_model.json"
TARGET_MS = 20.0
JS = """
const done = arguments[arguments.length - 1];
const net = window.latentjam.local.nets[arguments[0]], T = net.T, D = net.D;
const x = new Float64Array(T * D);
for (let t = 0; t < T; t += 4) x[t * D + (net.kind === "drums" ? 0 : 2 + 39)] = 1;
(async () => {
  await net.decode(await net.encode(x));
  const times = [];
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now();
    await net.decode(await net.encode(x));
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[25];
})().then(done, (e) => done(String(e)));
"""
RUNTIMES = ("onnx", "js")


def python_ms(jam_model) -> float:
    """Median ms of the same reply in Python: encode + greedy decode, one torch thread."""
    import torch

    torch.set_num_threads(1)
    x = torch.zeros(1, jam_model.converter.steps, jam_model.converter.feature_dim)
    x[0, ::4, 0 if jam_model.kind == "drums" else 2 + 39] = 1.0
    times = []
    with torch.inference_mode():
        for _ in range(51):
            t0 = time.perf_counter()
            mu, _ = jam_model.model.encode(x)
            jam_model.model.decode(mu)
            times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times[1:])


def main() -> int:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from latentjam.jam.session import load_jam_model
    from latentjam.jam.site import export_site

    models = {name: load_jam_model(name) for name in ("drums", "melody")}
    result: dict = {"command": "python benchmarks/page_model.py", "target_ms": TARGET_MS}
    python = {name: python_ms(jm) for name, jm in models.items()}
    with tempfile.TemporaryDirectory() as tmp:
        options = webdriver.ChromeOptions()
        options.binary_location = shutil.which("chromium")
        for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={Path(tmp) / 'profile'}")
        driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
        driver.set_script_timeout(300)
        try:
            for runtime in RUNTIMES:
                root = export_site(models, Path(tmp) / f"site-{runtime}", runtime=runtime)
                size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) / 1e6
                handler = functools.partial(
                    http.server.SimpleHTTPRequestHandler, directory=str(root)
                )
                httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
                threading.Thread(target=httpd.serve_forever, daemon=True).start()
                try:
                    driver.get(f"http://127.0.0.1:{httpd.server_address[1]}/")
                    WebDriverWait(driver, 60).until(
                        lambda d: (
                            d.find_element(By.ID, "status").get_attribute("data-state") == "open"
                        )
                    )
                    row: dict = {"site_mb": round(size, 1)}
                    for name in models:
                        page = driver.execute_async_script(JS, name)
                        row[name] = {
                            "page_ms": round(page, 2),
                            "python_ms": round(python[name], 2),
                            "page_over_python": round(page / python[name], 2),
                            "met": page <= TARGET_MS,
                        }
                    result[runtime] = row
                    print(json.dumps({runtime: row}), flush=True)
                finally:
                    httpd.shutdown()
        finally:
            driver.quit()
    result["load_average"] = os.getloadavg()[0]
    write_results(RESULTS, result)
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
