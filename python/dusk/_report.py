"""dusk.performance_report: Dask's context manager, offline.

    with dusk.performance_report(filename="dusk-report.html"):
        df.groupby("PULocationID").count().compute()
        len(df)

Every dataframe query that any dusk Client of this process computes
while the block runs is profiled - the scheduler records each of its
tasks (client/dusk.h, dusk_client_set_profiling) - and when the block
ends, all of them go into one self-contained HTML file, a section per
query in the order they finished (as Dask's report covers everything
inside its block): the plan, totals, a timeline per worker, time by
activity, bytes per worker and the slowest tasks.  The file is written
also when the block raises (with the queries that finished); an
unwritable filename raises OSError naming it.  Blocks may nest: each
gets the queries computed inside it.  Outside a block nothing is
recorded."""
import os
import threading

from . import _core

_lock = threading.Lock()
_active = []  # the reports whose blocks are running


def profiling():
    """Whether a performance_report block is running."""
    return bool(_active)


def record(profile):
    """Hands a computed query's _core.Profile to every running block."""
    if profile is None:
        return
    with _lock:
        for report in _active:
            report._profiles.append(profile)


class performance_report:
    """Profiles the queries computed inside the `with` block into one HTML
    report at filename (default "dusk-report.html")."""

    def __init__(self, filename="dusk-report.html"):
        self.filename = os.fspath(filename)
        self._profiles = []

    def __enter__(self):
        with _lock:
            _active.append(self)
        return self

    def __exit__(self, exc_type, exc, tb):
        with _lock:
            _active.remove(self)
            profiles, self._profiles = self._profiles, []
        _core.write_report(self.filename, profiles)
        return False

    @property
    def queries(self):
        """How many queries the block has profiled so far."""
        with _lock:
            return len(self._profiles)
