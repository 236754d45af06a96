"""The progress display of .compute() (python/dusk/_progress.py) where the
user sees it: a terminal, a notebook.

Each run holds its query past the display's 0.5 s delay without depending
on the machine's speed: the one worker is stopped (SIGSTOP) before the
query is submitted and continued from a thread once the display drew its
first state (Tracker._draw, wrapped to say so)."""
import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import textwrap

import pytest

from conftest import SCALE

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..",
                                "integration"))
from progress import screen  # noqa: E402  (the terminal replay)

TIMEOUT = 120 * SCALE

# Held until the first draw: the worker continues then, or after TIMEOUT
# (a hang limit) with the display never drawn, which the test reports.
HELD = textwrap.dedent("""
    import os, signal, threading
    import dusk, dusk._progress
    import dusk.dataframe as dd
    cluster = dusk.LocalCluster(n_workers=1)
    client = dusk.Client(cluster)
    pid = client.scheduler_info()["workers"][0]["pid"]
    drawn = threading.Event()
    draw = dusk._progress.Tracker._draw
    def traced(self, elapsed, final):
        draw(self, elapsed, final)
        drawn.set()
    dusk._progress.Tracker._draw = traced
    def resume():
        drawn.wait(TIMEOUT)
        os.kill(pid, signal.SIGCONT)
    os.kill(pid, signal.SIGSTOP)
    threading.Thread(target=resume, daemon=True).start()
    try:
        n = QUERY
    except Exception as e:  # the file with a bad value
        n = "failed: " + str(e).splitlines()[0]
    print("rows", n, "drawn", drawn.is_set(), flush=True)
    client.close()
    cluster.close()
""")


def _data(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("k,v\n" + "".join(f"{i % 5},{i}\n" for i in range(20000)))
    return str(path)


def _script(path, query="len(dd.read_csv(PATH, blocksize=4096))"):
    """HELD running query (an expression of PATH, the file at path)."""
    return (f"TIMEOUT = {TIMEOUT}\nPATH = {path!r}\n" +
            HELD.replace("QUERY", query))


def _env():
    env = dict(os.environ)
    env.pop("DUSK_PROGRESS", None)
    return env


def _on_terminal(script):
    """What script writes with stdout and stderr on a pseudo-terminal of
    60 columns; asserts it exits 0."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 60, 0, 0))
    proc = subprocess.Popen([sys.executable, "-c", script],
                            stdin=subprocess.DEVNULL, stdout=slave,
                            stderr=slave, env=_env())
    os.close(slave)
    data = b""
    try:
        while True:
            if not select.select([master], [], [], TIMEOUT)[0]:
                break
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the last writer is gone
                break
            if not chunk:
                break
            data += chunk
        assert proc.wait(timeout=TIMEOUT) == 0, data
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return data.decode()


def test_terminal_shows_the_bar_and_erases_it(tmp_path):
    """stderr on a pseudo-terminal of 60 columns: the bar is drawn (fitted
    to 59 columns) and erased when compute() returns, so the screen holds
    only what the script printed after it."""
    out = _on_terminal(_script(_data(tmp_path)))
    assert "rows 20000 drawn True" in out, out
    drawn = [s for s in out.replace("\033[K", "\r").replace("\n", "\r")
             .split("\r") if " tasks | " in s]
    assert drawn and all("scanned | " in s and "B/s | " in s for s in drawn)
    assert all(len(s) <= 59 for s in drawn), drawn
    shown = [line for line in screen(out) if line]
    assert shown == ["rows 20000 drawn True"], (shown, out)


def test_terminal_erases_the_bar_of_a_failed_query(tmp_path):
    """A query failing after the bar showed: erased all the same."""
    path = _data(tmp_path)
    with open(path, "a") as f:
        f.write("oops,1\n")
    out = _on_terminal(_script(
        path, "dd.read_csv(PATH, blocksize=4096, dtype={'k': 'int64'})"
              "['k'].sum().compute()"))
    shown = [line for line in screen(out) if line]
    assert len(shown) == 1 and shown[0].startswith("rows failed: ") and \
        "drawn True" in shown[0], (shown, out)


def test_no_bar_on_a_pipe(tmp_path):
    """stderr on a pipe and no notebook: nothing drawn (the query held by
    a stopped worker for a bound, then continued)."""
    script = _script(_data(tmp_path)).replace("drawn.wait(TIMEOUT)",
                                       "drawn.wait(1.5)")
    r = subprocess.run([sys.executable, "-c", script], capture_output=True,
                       text=True, timeout=TIMEOUT, env=_env())
    assert r.returncode == 0, r.stderr
    assert r.stdout == "rows 20000 drawn False\n" and r.stderr == "", r


def test_notebook_shows_an_html_bar(tmp_path, monkeypatch):
    """Under ipykernel (nbclient): an HTML <progress> display, updated in
    place (one display id), its final state all done."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    monkeypatch.delenv("DUSK_PROGRESS", raising=False)
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell(_script(_data(tmp_path))))
    nbclient.NotebookClient(nb, timeout=TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}
                            ).execute()
    outputs = nb.cells[0].outputs
    assert not [o for o in outputs if o.output_type == "error"], outputs
    text = "".join(o.get("text", "") for o in outputs
                   if o.output_type == "stream" and o.name == "stdout")
    assert "rows 20000 drawn True" in text, outputs
    bars = [o for o in outputs if o.output_type == "display_data" and
            "<progress" in o.get("data", {}).get("text/html", "")]
    # nbclient applies update_display_data to the output it displayed:
    # one output, holding the last state drawn (close()'s: all done).
    assert len(bars) == 1, outputs
    html = bars[0]["data"]["text/html"]
    assert "value='100.0'" in html and " tasks | " in html, html
    assert not any(o.output_type == "stream" and o.name == "stderr" and
                   " tasks | " in o.text for o in outputs), outputs
