"""The progress display of a running computation: tasks done of total,
CSV bytes scanned, scan rate and elapsed time, shown once a computation
has run longer than DELAY seconds - as HTML that updates in place in a
Jupyter notebook, as one rewritten line on a terminal's stderr.

dusk.progress(False) turns it off, dusk.progress(True) shows it always
(as text on stderr outside a notebook, also when stderr is not a
terminal), dusk.progress("auto") is the default; the environment variable
DUSK_PROGRESS=0 turns it off too."""
import os
import sys
import time

DELAY = 0.5
_mode = "auto"


def progress(mode=True):
    """Sets the progress display: True, False or "auto" (the default:
    shown in notebooks and on terminals)."""
    global _mode
    if mode not in (True, False, "auto"):
        raise ValueError('progress takes True, False or "auto"')
    _mode = mode


def _size(n):
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000.0


def _in_notebook():
    ip = sys.modules.get("IPython")
    if ip is None:
        return False
    try:
        shell = ip.get_ipython()
    except Exception:
        return False
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


class Tracker:
    """Receives a query's progress reports (from within the wait, on the
    waiting thread) and draws them; close() finishes the display."""

    def __init__(self, stream=None):
        self.start = time.monotonic()
        self.stream = stream or sys.stderr
        self.kind = None  # "html" or "text" once shown
        self.handle = None
        self.last = None

    def enabled(self):
        if _mode is False or os.environ.get("DUSK_PROGRESS") == "0":
            return None
        if _in_notebook():
            return "html"
        if _mode is True:
            return "text"
        isatty = getattr(self.stream, "isatty", None)
        return "text" if isatty is not None and isatty() else None

    def __call__(self, key, done, total, bytes_done, bytes_total):
        self.last = (done, total, bytes_done, bytes_total)
        elapsed = time.monotonic() - self.start
        if elapsed < DELAY:
            return
        if self.kind is None:
            self.kind = self.enabled() or "off"
        if self.kind != "off":
            self._draw(elapsed, final=False)

    def _text(self, elapsed):
        done, total, bytes_done, bytes_total = self.last
        frac = done / total if total else 1.0
        width = 24
        bar = "#" * int(frac * width) + "." * (width - int(frac * width))
        rate = bytes_done / elapsed if elapsed > 0 else 0.0
        return (f"[{bar}] {done}/{total} tasks | {_size(bytes_done)} of "
                f"{_size(bytes_total)} scanned | {_size(rate)}/s | "
                f"{elapsed:.1f} s")

    def _draw(self, elapsed, final):
        text = self._text(elapsed)
        if self.kind == "text":
            self.stream.write("\r" + text + ("\n" if final else ""))
            self.stream.flush()
            return
        from html import escape
        from IPython.display import HTML, display
        done, total = self.last[0], self.last[1]
        pct = 100.0 * done / total if total else 100.0
        html = ("<div style='font-family:monospace'>"
                f"<progress value='{pct:.1f}' max='100' style='width:40%'>"
                f"</progress> {escape(text)}</div>")
        if self.handle is None:
            self.handle = display(HTML(html), display_id=True)
        else:
            self.handle.update(HTML(html))

    def close(self, ok):
        """Draws the final state (complete when ok) of a computation that
        ran longer than DELAY, also when no report came after DELAY."""
        if self.last is None or self.kind == "off":
            return
        if self.kind is None:
            if time.monotonic() - self.start < DELAY:
                return
            self.kind = self.enabled() or "off"
            if self.kind == "off":
                return
        if ok:
            d, t, b, bt = self.last
            self.last = (t, t, bt, bt)
        self._draw(time.monotonic() - self.start, final=True)
