"""The progress display of a running computation: tasks done of total,
CSV bytes scanned, scan rate and elapsed time, shown once a computation
has run longer than DELAY seconds - as HTML that updates in place in a
Jupyter notebook (its final state stays in the cell's output), as one
line on a terminal's stderr, redrawn in place at most every PERIOD
seconds, cut to the terminal's width and erased when the computation
ends, as `dusk query`'s bar (client/dusk_cli.c) is.

dusk.progress(False) turns it off, dusk.progress(True) shows it always
(as text on stderr outside a notebook, also when stderr is not a
terminal: then without escape codes, its final state kept on a line of
its own, a record in a log), dusk.progress("auto") is the default; the
environment variable DUSK_PROGRESS=0 turns it off too."""
import os
import sys
import time

DELAY = 0.5
# Below the scheduler's 200 ms report period, so jitter does not skip a
# report, while keeping redraws at about 5 a second.
PERIOD = 0.15
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


def _line(last, elapsed, width):
    """The text of report last after elapsed seconds in at most width - 1
    columns (a line filling the last column wraps on some terminals, and a
    carriage return then returns to the wrong line): the bar, 10 to 30
    columns, is dropped when it does not fit, then the text is cut."""
    done, total, bytes_done, bytes_total = last
    frac = min(done / total, 1.0) if total else 1.0
    rate = bytes_done / elapsed if elapsed > 0 else 0.0
    info = (f"{done}/{total} tasks | {_size(bytes_done)} of "
            f"{_size(bytes_total)} scanned | {_size(rate)}/s | "
            f"{elapsed:.1f} s")
    room = max(width - 1, 1)
    barw = min(room - len(info) - 3, 30)
    if barw >= 10:
        fill = int(frac * barw)
        info = "[" + "#" * fill + "." * (barw - fill) + "] " + info
    return info[:room]


def _width(stream):
    """Columns of the terminal stream is on, 80 when it does not say."""
    try:
        return os.get_terminal_size(stream.fileno()).columns or 80
    except (AttributeError, ValueError, OSError):
        return 80


class Tracker:
    """Receives a query's progress reports (from within the wait, on the
    waiting thread) and draws them; close() finishes the display."""

    def __init__(self, stream=None):
        self.start = time.monotonic()
        self.stream = stream or sys.stderr
        # "html", "tty" (a terminal), "text" (forced onto another stream)
        # or "off", once decided
        self.kind = None
        self.handle = None
        self.last = None
        self.last_draw = None
        self.last_len = 0  # columns of the "text" line drawn

    def enabled(self):
        if _mode is False or os.environ.get("DUSK_PROGRESS") == "0":
            return None
        if _in_notebook():
            return "html"
        isatty = getattr(self.stream, "isatty", None)
        if isatty is not None and isatty():
            return "tty"
        return "text" if _mode is True else None

    def __call__(self, key, done, total, bytes_done, bytes_total):
        self.last = (done, total, bytes_done, bytes_total)
        now = time.monotonic()
        if now - self.start < DELAY:
            return
        if self.kind is None:
            self.kind = self.enabled() or "off"
        if self.kind == "off" or (self.last_draw is not None and
                                  now - self.last_draw < PERIOD):
            return
        self._draw(now - self.start, final=False)

    def _draw(self, elapsed, final):
        self.last_draw = time.monotonic()
        if self.kind == "tty":
            text = _line(self.last, elapsed, _width(self.stream))
            self.stream.write("\r\033[K" + text)
            self.stream.flush()
            return
        text = _line(self.last, elapsed, 80)
        if self.kind == "text":
            # Spaces cover what a longer earlier line left.
            pad = " " * max(self.last_len - len(text), 0)
            self.last_len = len(text)
            self.stream.write("\r" + text + pad + ("\n" if final else ""))
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
        """Ends the display.  On a terminal the line drawn is erased, so
        what follows starts on a clean line.  Elsewhere (a notebook, a
        forced stream) the final state (complete when ok) of a computation
        that ran longer than DELAY is drawn, also when no report came
        after DELAY."""
        if self.kind == "tty":
            if self.last_draw is not None:
                self.stream.write("\r\033[K")
                self.stream.flush()
            return
        if self.last is None or self.kind == "off":
            return
        if self.kind is None:
            if time.monotonic() - self.start < DELAY:
                return
            self.kind = self.enabled() or "off"
            if self.kind in ("off", "tty"):
                return
        if ok:
            d, t, b, bt = self.last
            self.last = (t, t, bt, bt)
        self._draw(time.monotonic() - self.start, final=True)
