"""End to end in a real headless Chromium: click a pattern, send it, see the reply and 3-D point."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_click_send_see_reply_and_trajectory(browser, drums_model, jam_factory):
    """With the shipped drum model `latentjam jam` plays by default (no stand-in)."""
    RunningJam = jam_factory
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    with RunningJam({"drums": drums_model}) as jam:
        browser.get(jam.server.urls["page"])
        wait = WebDriverWait(browser, 20)
        wait.until(lambda d: d.find_element(By.ID, "status").get_attribute("data-state") == "open")
        assert browser.execute_script("return window.latentjam.model") == "drums"
        # a rock beat: kick on 1 and 3, snare on 2 and 4, closed hat on eighths, both bars
        pattern = (
            [(0, s) for s in (0, 8, 16, 24)]
            + [(1, s) for s in (4, 12, 20, 28)]
            + [(2, s) for s in range(0, 32, 2)]
        )
        for row, step in pattern:
            cell = browser.find_element(
                By.CSS_SELECTOR, f'#grid-call .cell[data-row="{row}"][data-step="{step}"]'
            )
            ActionChains(browser).click(cell).perform()
        on = browser.find_elements(By.CSS_SELECTOR, "#grid-call .cell.on")
        assert len(on) == len(pattern)
        canvas = browser.find_element(By.ID, "space")
        assert canvas.get_attribute("data-points") == "0"
        blank = browser.execute_script("return arguments[0].toDataURL()", canvas)
        browser.find_element(By.ID, "send").click()
        wait.until(lambda d: d.execute_script("return window.latentjam.replies") == 1)
        reply = browser.execute_script("return window.latentjam.reply")
        shown = browser.find_elements(By.CSS_SELECTOR, "#grid-reply .cell.on")
        # every reply note is on the reply grid (notes can share a cell only if pitches fold)
        assert len(shown) == len({(n["pitch"], n["step"]) for n in reply})
        assert len(reply) > 0, "the shipped drum model answered a rock beat with silence"
        assert canvas.get_attribute("data-points") == "2"
        drawn = browser.execute_script("return arguments[0].toDataURL()", canvas)
        assert drawn != blank
        assert "reply 1" in browser.find_element(By.ID, "reply-info").text
        # a second call adds to both trajectories; dragging rotates the view
        browser.find_element(By.ID, "send").click()
        wait.until(lambda d: d.execute_script("return window.latentjam.replies") == 2)
        assert canvas.get_attribute("data-points") == "4"
        before = browser.execute_script("return arguments[0].toDataURL()", canvas)
        ActionChains(browser).move_to_element(canvas).click_and_hold().move_by_offset(
            80, 30
        ).release().perform()
        after = browser.execute_script("return arguments[0].toDataURL()", canvas)
        assert after != before
        # the transport: count-in, your two bars (pads land on the grid), the call leaves
        # on its own at the end of them, the reply comes back before the model's bars
        browser.find_element(By.ID, "clear").click()
        assert not browser.find_elements(By.CSS_SELECTOR, "#grid-call .cell.on")
        browser.execute_script("document.getElementById('tempo').value = 240;")
        browser.find_element(By.ID, "play").click()
        wait.until(
            lambda d: d.execute_script(
                "return window.latentjam.playing && audio.currentTime > window.sched.t0 + 0.1"
            )
        )
        browser.find_element(By.TAG_NAME, "body").send_keys("a")  # kick pad
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '#grid-call .cell.on[data-row="0"]'))
        wait.until(lambda d: d.execute_script("return window.latentjam.replies") == 3)
        browser.find_element(By.ID, "play").click()
        assert not browser.execute_script("return window.latentjam.playing")
        assert canvas.get_attribute("data-points") == "6"
        errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        assert not errors, errors


def test_the_page_takes_knob_ranges_from_the_server_and_names_as_text(
    browser, tiny_drums, jam_factory
):
    RunningJam = jam_factory
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    evil = '<img src=x onerror="window.pwned=1">'
    tiny_drums.attributes[evil] = tiny_drums.attributes.get("density", None) or __import__(
        "numpy"
    ).ones(tiny_drums.latent_dim)
    try:
        with RunningJam({"drums": tiny_drums}) as jam:
            browser.get(jam.server.urls["page"])
            wait = WebDriverWait(browser, 20)
            wait.until(
                lambda d: d.find_element(By.ID, "status").get_attribute("data-state") == "open"
            )
            assert browser.find_element(By.ID, "bits").get_attribute("max") == "256"
            modes = browser.execute_script(
                "return [...document.getElementById('mode').options].map(o => o.value)"
            )
            assert modes == ["call", "continuous", "drumify"]
            sliders = browser.find_elements(By.CSS_SELECTOR, "#nudges input")
            assert sliders and all(s.get_attribute("max") == "3" for s in sliders)
            assert evil in browser.find_element(By.ID, "nudges").text  # shown as text
            assert not browser.execute_script("return window.pwned || null")
            assert not browser.find_elements(By.CSS_SELECTOR, "#nudges img")
    finally:
        del tiny_drums.attributes[evil]


def _open(browser, jam):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(jam.server.urls["page"])
    wait = WebDriverWait(browser, 20, poll_frequency=0.05)
    wait.until(lambda d: d.find_element(By.ID, "status").get_attribute("data-state") == "open")
    return wait


def test_notes_show_velocity_timing_and_the_view_holds_still(browser, drums_model, jam_factory):
    from selenium.webdriver.common.by import By

    with jam_factory({"drums": drums_model}) as jam:
        wait = _open(browser, jam)
        for step in (0, 4, 8, 12, 16, 20, 24, 28):  # four-on-the-floor kicks
            browser.execute_script(f"toggleCell(0, {step}, {40 + 10 * (step % 8)})")
        call = browser.find_element(
            By.CSS_SELECTOR, '#grid-call .cell[data-row="0"][data-step="4"]'
        )
        assert call.get_attribute("data-velocity") == "80"
        browser.find_element(By.ID, "send").click()
        wait.until(lambda d: d.execute_script("return window.latentjam.replies") == 1)
        reply = browser.execute_script("return window.latentjam.reply")
        rows = browser.execute_script("return window.latentjam.rows.map(r => r.pitch)")
        for n in reply:
            el = browser.find_element(
                By.CSS_SELECTOR,
                f'#grid-reply .cell[data-row="{rows.index(n["pitch"])}"][data-step="{n["step"]}"]',
            )
            assert int(el.get_attribute("data-velocity")) == n["velocity"]
            assert float(el.get_attribute("data-offset")) == pytest.approx(n.get("offset", 0))
        velocities = {n["velocity"] for n in reply}
        opacities = browser.execute_script(
            "return [...document.querySelectorAll('#grid-reply .cell.on')]"
            ".map(c => getComputedStyle(c).opacity)"
        )
        assert len(set(opacities)) > 1 and len(velocities) > 1  # loud and soft look different
        # the 3-D view keeps its centre and scale while replies stay inside it
        view = browser.execute_script(
            "return [window.latentjam.view.centre, window.latentjam.view.extent]"
        )
        browser.find_element(By.ID, "send").click()
        wait.until(lambda d: d.execute_script("return window.latentjam.replies") == 2)
        again = browser.execute_script(
            "return [window.latentjam.view.centre, window.latentjam.view.extent]"
        )
        assert again[0] == view[0]  # same centre
        assert again[1] >= view[1]  # it may zoom out, never in
        text = browser.execute_script(
            "return document.getElementById('space').getAttribute('data-points')"
        )
        assert text == "4"


def test_a_hit_in_the_last_sixteenth_is_in_the_call_and_lasts_one_phrase(
    browser, tiny_drums, jam_factory
):
    from selenium.webdriver.common.by import By

    with jam_factory({"drums": tiny_drums}) as jam:
        wait = _open(browser, jam)
        browser.execute_script(
            "document.getElementById('tempo').value = 200;"
            "document.getElementById('countin').checked = false;"
        )
        browser.find_element(By.ID, "play").click()
        browser.set_script_timeout(30)
        # press the kick pad early in the last 16th of one of your phrases
        phrase_start = browser.execute_async_script(
            """
            const done = arguments[arguments.length - 1];
            const iv = setInterval(() => {
              const pos = (audio.currentTime - sched.t0) / stepSeconds();
              const st = Math.floor(pos);
              if (st >= 0 && st % 64 === 31 && pos - st < 0.4) {
                clearInterval(iv); pad(0, 110); done(st - 31);
              }
            }, 1);
            """
        )
        assert browser.find_elements(By.CSS_SELECTOR, '#grid-call .cell.live[data-step="31"]')
        wait.until(lambda d: d.execute_script("return window.latentjam.replies") >= 1)
        sent = browser.execute_script("return window.latentjam.lastCall.notes")
        assert {"pitch": 36, "step": 31} in [{"pitch": n["pitch"], "step": n["step"]} for n in sent]
        # at your next phrase the pad hit is gone from the grid (it was not clicked)
        wait.until(lambda d: d.execute_script("return currentStep()") >= phrase_start + 64 + 2)
        assert not browser.find_elements(By.CSS_SELECTOR, "#grid-call .cell.live")
        assert not browser.find_elements(By.CSS_SELECTOR, "#grid-call .cell.on")
        browser.find_element(By.ID, "play").click()
        errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        assert not errors, errors


def test_melody_mode_has_piano_keys_three_octaves_and_held_notes(
    browser, tiny_drums, melody_model, jam_factory
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    with jam_factory({"drums": tiny_drums, "melody": melody_model}) as jam:
        wait = _open(browser, jam)
        Select(browser.find_element(By.ID, "model")).select_by_value("melody")
        assert browser.execute_script("return window.latentjam.kind") == "melody"
        labels = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#grid-call .label")]
        assert len(labels) == 37 and labels[0].endswith("C6") and labels[-1].endswith("C3")
        assert "A · C4" in labels and "A W S E" in browser.find_element(By.ID, "call-hint").text
        browser.find_element(By.TAG_NAME, "body").send_keys("x")  # an octave up
        labels = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#grid-call .label")]
        assert "A · C5" in labels and "C4" in labels
        for step, row in ((0, 24), (4, 22), (8, 20), (12, 19), (16, 17)):  # C4 D4 E4 F4 G4
            browser.execute_script(f"toggleCell({row}, {step})")
        browser.find_element(By.ID, "send").click()
        wait.until(lambda d: d.execute_script("return window.latentjam.replies") == 1)
        reply = browser.execute_script("return window.latentjam.reply")
        held = sum(
            max(0, min(32, n["step"] + max(1, round(n.get("duration", 1)))) - n["step"] - 1)
            for n in reply
        )
        shown = browser.find_elements(By.CSS_SELECTOR, "#grid-reply .cell.held")
        assert held > 0 and len(shown) == held


def test_recall_shows_the_session_memory_on_the_page(browser, drums_model, jam_factory):
    from selenium.webdriver.common.by import By

    with jam_factory({"drums": drums_model}) as jam:
        wait = _open(browser, jam)
        browser.execute_script("document.getElementById('recall').value = 1;")
        # replies well away from the calls: a reply within the memory's threshold of its call
        # would make every exchange the same symbol, and a session of one symbol recalls nothing
        browser.execute_script("document.getElementById('radius').value = 1.5;")
        for step in (0, 8, 16, 24):
            browser.execute_script(f"toggleCell(0, {step})")
        for step in (4, 12, 20, 28):
            browser.execute_script(f"toggleCell(1, {step})")
        for n in range(1, 5):  # the same groove again and again: the session remembers it
            browser.find_element(By.ID, "send").click()
            wait.until(lambda d, n=n: d.execute_script("return window.latentjam.replies") == n)
        info = browser.find_element(By.ID, "reply-info").text
        assert "session information rate" in info
        recalls = browser.execute_script("return window.latentjam.recalls")
        assert recalls and "recalls exchange" in info
        assert browser.find_element(By.ID, "recall-out").text in ("0", "1")  # a real knob
