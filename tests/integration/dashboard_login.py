#!/usr/bin/python3
"""The dashboard page's login form, submitted in a real browser: headless
Chromium (Debian's chromium) driven over the DevTools protocol on a pipe
(--remote-debugging-pipe: JSON messages ending in NUL on fds 3 and 4, so
no WebSocket library is needed).

A scheduler with a token and one worker; the page shows its login form
(its /status is 401).  A wrong token typed into the form is refused
(401, said next to the button) and the page stays locked; the right one
logs in: the session cookie is set (HttpOnly: invisible to the page's
script), the next poll of /status succeeds, the form hides and the
worker appears by pid.  Then a task graph (Client.map of three sleeps,
the first short) shows as a graph progress bar, one of three done.
Every process is stopped by pid (Chromium with
its process group).  Without chromium it exits 77 (skipped).

  dashboard_login.py --bin BUILD/bin --work DIR"""
import argparse
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time

from dashboard import TIMEOUT, Failed, Scheduler, check

TOKEN = "dashboard-login-test-token-0123456789"


class Browser:
    """Headless Chromium and one page, driven by DevTools commands."""

    def __init__(self, binary, profile, log):
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()
        # Chromium reads commands on fd 3 and writes replies on fd 4;
        # every other descriptor is closed (subprocess' close_fds would
        # run after this and close 3 and 4 too).
        def fds():
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)
            os.closerange(5, os.sysconf("SC_OPEN_MAX"))
        # Under the sanitizers this script gets libasan preloaded (it
        # imports the dusk extension); Chromium must not.
        env = {k: v for k, v in os.environ.items()
               if k not in ("LD_PRELOAD", "ASAN_OPTIONS")}
        self.proc = subprocess.Popen(
            [binary, "--headless", "--no-sandbox", "--disable-gpu",
             "--no-first-run", "--disable-extensions",
             "--user-data-dir=" + profile, "--remote-debugging-pipe",
             "about:blank"], stdin=subprocess.DEVNULL, stdout=log,
            stderr=log, preexec_fn=fds, close_fds=False, env=env,
            start_new_session=True)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buf = b""
        self._id = 0
        self.session = None

    def send(self, method, params=None, session=True):
        """The result of one command (Failed on an error or no answer)."""
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self._to_chrome, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT
        while True:
            while b"\0" not in self._buf:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([self._from_chrome], [],
                                                  [], left)[0]:
                    raise Failed(f"chromium did not answer {method}")
                chunk = os.read(self._from_chrome, 65536)
                check(chunk, f"chromium closed its pipe during {method}")
                self._buf += chunk
            raw, self._buf = self._buf.split(b"\0", 1)
            reply = json.loads(raw)
            if reply.get("id") == self._id:  # events are skipped
                check("error" not in reply, f"{method}: {reply.get('error')}")
                return reply["result"]

    def open(self, url):
        target = self.send("Target.createTarget", {"url": url},
                           session=False)["targetId"]
        self.session = self.send("Target.attachToTarget", {
            "targetId": target, "flatten": True}, session=False)["sessionId"]

    def js(self, expression):
        r = self.send("Runtime.evaluate", {"expression": expression,
                                           "returnByValue": True})
        check("exceptionDetails" not in r, f"{expression}: {r}")
        return r["result"].get("value")

    def wait(self, expression, what):
        """Until expression is true in the page (it polls /status every
        second)."""
        deadline = time.monotonic() + TIMEOUT
        guarded = f"(() => {{ try {{ return !!({expression}); }} " \
                  "catch (e) { return false; } })()"  # the page may load
        while time.monotonic() < deadline:
            if self.js(guarded):
                return
            time.sleep(0.1)
        raise Failed(f"{what}; page text: "
                     f"{self.js('document.body.innerText')!r}")

    def type_token_and_submit(self, token):
        self.js("document.getElementById('login-msg').textContent = ''")
        self.js("document.getElementById('token').focus()")
        self.send("Input.insertText", {"text": token})  # as typed
        self.js("document.querySelector('#login button').click()")

    def close(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(TIMEOUT)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        os.close(self._to_chrome)
        os.close(self._from_chrome)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        print("SKIP: chromium is not installed (Debian's chromium package: "
              "apt-get install chromium); the login form was not tried")
        return 77
    os.makedirs(a.work, exist_ok=True)
    token_file = os.path.join(a.work, "token")
    with open(token_file, "w") as f:
        f.write(TOKEN + "\n")
    sched = worker = browser = None
    try:
        sched = Scheduler(a, "login-scheduler", "--dashboard-port", "0",
                          "--token-file", token_file)
        worker = subprocess.Popen(
            [os.path.join(a.bin, "dusk-worker"), sched.address,
             "--nworkers", "1", "--token-file", token_file],
            stdin=subprocess.DEVNULL,
            stdout=open(os.path.join(a.work, "login-worker.log"), "ab"),
            stderr=subprocess.STDOUT)
        browser = Browser(binary, os.path.join(a.work, "login-profile"),
                          open(os.path.join(a.work, "chromium.log"), "ab"))
        browser.open(f"http://127.0.0.1:{sched.dashboard}/")
        browser.wait("!document.getElementById('login').hidden",
                     "the login form did not show on a 401")

        browser.type_token_and_submit("not-the-token")
        browser.wait("document.getElementById('login-msg').textContent"
                     " === 'refused (401)'", "a wrong token was not refused")
        check(browser.js("document.querySelectorAll('tr[data-worker]')"
                         ".length") == 0, "the page shows data unlocked")

        browser.js("document.getElementById('token').value = ''")
        browser.type_token_and_submit(TOKEN)
        browser.wait("document.getElementById('login-msg').textContent"
                     " === 'logged in'", "the right token did not log in")
        browser.wait("document.getElementById('login').hidden && "
                     "document.querySelectorAll('tr[data-worker]').length"
                     " === 1", "after logging in, the worker is not shown")
        check(browser.js("document.getElementById('token').value") == "",
              "the token stays in the form after logging in")
        check("dusk_session" not in browser.js("document.cookie"),
              "the session cookie is readable by the page's script")
        pid = browser.js("document.querySelector('tr[data-worker]')"
                         ".dataset.pid")
        with open(f"/proc/{pid}/stat") as f:
            ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        check(ppid == worker.pid, f"the page's worker pid {pid} is not the "
              f"one started (its parent {ppid}, started {worker.pid})")

        sys.path.insert(0, os.path.join(a.bin, "..", "python"))
        import dusk
        client = dusk.Client(sched.address, token_file=token_file)
        futures = client.map("sleep_ms", [200, 600000, 600000], pure=False)
        browser.wait("document.querySelector('.graph[data-tasks-done=\"1\"]')"
                     " && document.querySelector('.graph [role=progressbar]')"
                     ".getAttribute('aria-valuemax') === '3'",
                     "the graph's progress bar (1 of 3 done) is not shown")
        for f in futures:
            f.cancel()
        browser.wait("!document.querySelector('.graph')",
                     "the graph's bar stays after its tasks were canceled")
        client.close()
        print("dashboard_login: OK (a wrong token refused; logged in, the "
              f"worker {pid} shown; a graph's progress shown)")
        return 0
    except Failed as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    finally:
        if browser is not None:
            browser.close()
        if worker is not None and worker.poll() is None:
            worker.terminate()
            try:
                worker.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        if sched is not None:
            sched.stop()


if __name__ == "__main__":
    sys.exit(main())
