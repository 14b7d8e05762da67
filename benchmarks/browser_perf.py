"""How fast the Step-through page is in a real browser, and how much data it sends.

Starts the app headless on a free port the way the README does (scripts/run_app.sh: `python -m
app.launch`, which is `streamlit run app/main.py` with the heavy imports and the model load done
before the server answers), drives Debian's Chromium with Playwright and prints:

- server up: process start -> /_stcore/health answers ok (the imports and the model load included);
- first chart visible: navigation start -> the first Plotly chart drawn, on the cold server's
  first session (whatever the server still does on a first run included) and on a second, warm
  session;
- step: Right key pressed (keydown, in the page's clock) -> every chart that names a step shows
  the new one (the charts step in the browser from a table of every step), and -> the whole page
  settled (the server's rerun has drawn the sentence and the slider, and the script has finished),
  checked in the page at every animation frame, over --steps presses; with the CPU time Chromium and the server spent on it (/proc), which other
  work on the machine does not inflate;
- page data: bytes received over the WebSocket (Streamlit's messages: the charts, text and
  widgets) while the page loads a length-20 copy run, and per step; static files (JS, CSS,
  fonts; cached by the browser) are counted apart.

Budgets (issue: the app, Step-through page): first chart <= 3 s, step <= 300 ms, page data
<= 1 MB. Usage: .venv/bin/python benchmarks/browser_perf.py [--steps 10] [--text ...]
"""
from __future__ import annotations

import argparse
import base64
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
SETTLED = '[data-testid="stApp"][data-test-script-state="notRunning"]'
STEP_CHARTS = 2  # at least input/output and heads-and-memory (and the open detail tab, unless it is Play)
TEXT20 = "ATTENTION IS ADDRESS"

TITLES = """() => [...document.querySelectorAll('.js-plotly-plot')].map(gd =>
    String((gd.layout && gd.layout.title && gd.layout.title.text) || '').replace(/<[^>]+>/g, ' '))"""
CHARTS_AT_STEP = """(t) => {
  const titles = (%s)();
  const named = titles.filter(s => /step \\d+/.test(s));
  return named.length >= %d && named.every(s => new RegExp('step ' + t + '(\\\\D|$)').test(s));
}""" % (TITLES, STEP_CHARTS)
ALL_AT_STEP = """(t) => {
  const charts = (%s)(t);
  if (charts && window.__charts === undefined) window.__charts = performance.now();
  const slider = document.querySelector('[data-testid=stSlider] input[type=range]');
  const sentence = document.querySelector('.ntm-sentence');
  const done = charts && slider && slider.value === String(t) && sentence
      && sentence.textContent.startsWith('Step ' + t + ' of') && document.querySelector('%s');
  if (done && window.__done === undefined) window.__done = performance.now();
  return done;
}""" % (CHARTS_AT_STEP, SETTLED.replace("'", "\\'"))
FIRST_CHART = """() => {
  const drawn = document.querySelector('.js-plotly-plot .main-svg');
  if (drawn && window.__first === undefined) window.__first = performance.now();
  return !!drawn;
}"""
WATCH_STEP = """(t) => {
  window.__done = undefined; window.__charts = undefined; window.__t0 = undefined;
  const allAt = %s;
  const watch = () => { if (!allAt(t)) requestAnimationFrame(watch); };
  document.addEventListener('keydown', e => {
    if (e.key === 'ArrowRight') { window.__t0 = performance.now(); requestAnimationFrame(watch); }
  }, {capture: true, once: true});
}""" % ALL_AT_STEP


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(port: int) -> tuple[subprocess.Popen, float]:
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.launch", "--server.headless", "true", "--server.address",
         "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ))
    while time.perf_counter() - start < 90:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    return proc, time.perf_counter() - start
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not come up in 90 s")


class Traffic:
    """Bytes received by one page: WebSocket payloads and HTTP responses (via the DevTools protocol)."""

    def __init__(self, page):
        self.ws = self.http = 0
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.on("Network.webSocketFrameReceived", self._frame)
        cdp.on("Network.loadingFinished", self._loaded)

    def _frame(self, event):
        r = event["response"]
        self.ws += len(base64.b64decode(r["payloadData"])) if r.get("opcode") == 2 else len(r["payloadData"])

    def _loaded(self, event):
        self.http += int(event.get("encodedDataLength", 0))


def cpu_ms(root: int, only: str = "") -> float:
    """CPU time (user + system, ms) used so far by a process and its descendants (Linux /proc);
    with `only`, just the descendants whose command line contains it."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            if only not in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"):
                continue
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")
        except OSError:
            pass
    return total


def first_chart(browser, url: str, page=None) -> tuple[float, Traffic, object]:
    """Seconds from navigation start to the first drawn chart, the traffic so far, and the page.
    A new page has a new browser context (an empty cache: a new visitor); pass a page to reload in it."""
    page = page or browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    traffic = Traffic(page)
    page.goto(url, wait_until="commit")
    page.wait_for_function(FIRST_CHART, polling="raf", timeout=120_000)
    seconds = page.evaluate("() => window.__first") / 1000  # performance.now() counts from navigation start
    page.wait_for_selector(SETTLED, timeout=120_000)
    page.wait_for_function(ALL_AT_STEP, arg=0, timeout=120_000)
    page.wait_for_timeout(500)  # let the last messages arrive before counting
    return seconds, traffic, page


def step_times(page, traffic: Traffic, steps: int, server: int) -> tuple[list[tuple], list[int], list[tuple]]:
    """Per step: milliseconds from the Right key to every step chart updated and to the whole page
    settled (the server's rerun drawn: sentence, slider, script finished), WebSocket bytes, and the CPU
    milliseconds the browser (all Chromium processes) and the server used for it. CPU time does not
    grow when other work shares the cores, so it says what the step costs on an idle machine."""
    me = os.getpid()
    times, sizes, busy = [], [], []
    for t in range(1, steps + 1):
        page.evaluate("() => document.activeElement && document.activeElement.blur()")
        page.evaluate(WATCH_STEP, t)
        before, cpu = traffic.ws, (cpu_ms(me, "chromium"), cpu_ms(server))
        page.keyboard.press("ArrowRight")
        page.wait_for_function("() => window.__done !== undefined", polling=100, timeout=60_000)
        times.append(page.evaluate("() => [window.__charts - window.__t0, window.__done - window.__t0]"))
        busy.append((cpu_ms(me, "chromium") - cpu[0], cpu_ms(server) - cpu[1]))
        page.wait_for_timeout(300)
        sizes.append(traffic.ws - before)
    return times, sizes, busy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--text", default=TEXT20, help="the copy input (default: 20 characters)")
    parser.add_argument("--view", default="", help='the open detail tab, e.g. "Play the whole run"')
    args = parser.parse_args()
    port = free_port()
    proc, up = serve(port)
    query = {"text": args.text} | ({"view": args.view} if args.view else {})
    url = f"http://127.0.0.1:{port}/step?" + urllib.parse.urlencode(query)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            cold, _, _ = first_chart(browser, url)
            warm, fresh, page = first_chart(browser, url)
            again, traffic, page = first_chart(browser, url, page)
            load_ws, load_http = traffic.ws, fresh.http
            times, sizes, busy = step_times(page, traffic, args.steps, proc.pid)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    report(args, up, (cold, warm, again), load_ws, load_http, times, sizes, busy)


def report(args, up, firsts, load_ws, load_http, times, sizes, busy) -> None:
    cold, warm, again = firsts
    load = os.getloadavg()[0]
    print(f"input: copy of {args.text!r}, detail tab {args.view or 'Addressing: write head'!r} ({len(args.text)} characters, {2 * len(args.text) + 1} steps); "
          f"{os.cpu_count()} cores, load average {load:.1f} (other work shares the cores)")
    print(f"server up (process start -> health ok):        {up:6.2f} s")
    print(f"first chart visible, cold server first visit:  {cold:6.2f} s   (budget 3 s)")
    print(f"first chart visible, warm server new visitor:  {warm:6.2f} s   (budget 3 s; empty browser cache)")
    print(f"first chart visible, same visitor reloads:     {again:6.2f} s   (budget 3 s; browser cache warm)")
    charts, settled = [c for c, _ in times], [d for _, d in times]
    print(f"step (Right key -> every chart that names the step updated), {len(times)} steps: median "
          f"{statistics.median(charts):.0f} ms, max {max(charts):.0f} ms   (budget 300 ms)")
    print(f"    ... -> the whole page settled (the server's sentence, slider and URL too): median "
          f"{statistics.median(settled):.0f} ms, max {max(settled):.0f} ms")
    print(f"    CPU time per step (not slowed by other work): browser median "
          f"{statistics.median(b for b, _ in busy):.0f} ms, server median {statistics.median(s for _, s in busy):.0f} ms")
    print(f"page data over the WebSocket, length-{len(args.text)} run: {load_ws / 1e6:.3f} MB   (budget 1 MB); "
          f"per step: median {statistics.median(sizes) / 1e3:.0f} kB")
    print(f"static files (JS, CSS, fonts; cached by the browser): {load_http / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
