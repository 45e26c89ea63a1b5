"""Jam fixtures: the shipped drum model (or a small real model), a server on free loopback ports."""

from __future__ import annotations

import asyncio
import shutil
import threading

import pytest

torch = pytest.importorskip("torch")


def small_model(kind: str = "drums"):
    """A small, untrained but real RecurrentVAE built by the project's builder."""
    from latentjam.jam.session import jam_model_from
    from latentjam.models import build_model

    torch.manual_seed(0)
    dim = 27 if kind == "drums" else 90
    model = build_model(
        {
            "kind": "recurrent_vae",
            "data": kind,
            "feature_dim": dim,
            "latent_dim": 8,
            "encoder_hidden": [32],
            "conductor_hidden": 32,
            "decoder_hidden": [32],
            "prior_hidden": [16, 16],
        }
    )
    return jam_model_from(model, name=kind)


@pytest.fixture(scope="session")
def drums_model():
    """The shipped "drums" model the jam plays by default."""
    from latentjam.jam.session import load_jam_model

    return load_jam_model("drums")


@pytest.fixture(scope="session")
def melody_model():
    """The shipped "melody" model."""
    from latentjam.jam.session import load_jam_model

    return load_jam_model("melody")


@pytest.fixture(scope="session")
def tiny_model_file(tmp_path_factory, tiny_drums):
    """The small drum model saved as a model file (what `latentjam jam --model PATH` loads)."""
    from latentjam.pretrained import save_model

    path = tmp_path_factory.mktemp("models") / "tiny-drums.pt"
    return save_model(path, tiny_drums.model, metadata={"representation": "drums"}, half=False)


@pytest.fixture(scope="session")
def tiny_drums():
    return small_model("drums")


@pytest.fixture(scope="session")
def tiny_melody():
    return small_model("melody")


class RunningJam:
    """A JamServer serving every transport on free loopback ports from a background thread."""

    def __init__(self, models, **kwargs):
        from latentjam.jam.server import JamServer

        self.server = JamServer(models, **{"host": "127.0.0.1", **kwargs})
        self._ready = threading.Event()
        self.loop = None
        self.stop = None
        self.error = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    async def _main(self) -> None:
        from latentjam.jam.server import serve

        self.loop = asyncio.get_running_loop()
        self.stop = asyncio.Event()
        await serve(
            self.server,
            port=0,
            osc_port=0,
            tcp_port=0,
            stop=self.stop,
            on_ready=lambda s: self._ready.set(),
        )

    def _run(self) -> None:
        try:
            asyncio.run(self._main())  # also cancels and awaits whatever is left on the loop
        except BaseException as exc:  # surfaced by __enter__
            self.error = exc
            self._ready.set()

    def __enter__(self):
        self.thread.start()
        assert self._ready.wait(30), "jam server did not start"
        if self.error:
            raise self.error
        return self

    def __exit__(self, *exc):
        self.loop.call_soon_threadsafe(self.stop.set)
        self.thread.join(15)
        assert not self.thread.is_alive(), "jam server did not shut down"

    def port(self, name: str) -> int:
        return int(self.server.urls[name].rsplit(":", 1)[1].split("/")[0])


@pytest.fixture
def jam_factory():
    """`RunningJam(models, **JamServer options)`: a context manager serving on free ports."""
    return RunningJam


@pytest.fixture
def running_jam(tiny_drums):
    with RunningJam({"drums": tiny_drums}) as jam:
        yield jam


CHROME_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--autoplay-policy=no-user-gesture-required",
)


@pytest.fixture
def browser(tmp_path):
    """A headless Debian Chromium driven by selenium (chromium-driver)."""
    webdriver = pytest.importorskip("selenium.webdriver")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        pytest.fail(
            "Debian's chromium and chromium-driver are needed: "
            "apt-get install -y chromium chromium-driver"
        )
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    options.add_argument("--window-size=1280,1000")
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
