"""dusk.performance_report (python/dusk/_report.py): the queries computed
inside the block, all of them, in one HTML report read back with
html.parser; nothing recorded outside a block; nested blocks; the file
written also when the block raises; an unwritable filename is an OSError
naming it."""
import html.parser
import os

import pytest

import dusk
import dusk._report
import dusk.dataframe as dd


class Sections(html.parser.HTMLParser):
    """Per query section: its plan text and its task bars' data."""

    def __init__(self):
        super().__init__()
        self.queries = []
        self._plan = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section":
            self.queries.append({"attrs": a, "plan": "", "tasks": []})
        elif tag == "pre" and a.get("class") == "plan":
            self._plan = True
        elif tag == "rect" and a.get("class") == "task":
            self.queries[-1]["tasks"].append(a)

    def handle_endtag(self, tag):
        if tag == "pre":
            self._plan = False

    def handle_data(self, data):
        if self._plan:
            self.queries[-1]["plan"] += data


def read_report(path):
    p = Sections()
    with open(path, encoding="utf-8") as f:
        p.feed(f.read())
    p.close()
    return p.queries


@pytest.fixture
def trips(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("k,v\n" + "".join(f"{i % 7},{i}\n" for i in range(30000)))
    return str(path)


def test_every_query_of_the_block(client, trips, tmp_path):
    df = dd.read_csv(trips, blocksize=32768)
    df.columns  # the frame's schema is known before the block
    report = tmp_path / "report.html"
    with dusk.performance_report(filename=report) as r:
        sums = df.groupby("k").v.sum().compute()
        n = len(df)
        assert r.queries == 2
    assert n == 30000 and int(sums.sum()) == sum(range(30000))
    queries = read_report(report)
    assert [q["plan"].split()[0] for q in queries] == ["groupby", "len"]
    size = os.path.getsize(trips)
    for q in queries:
        wall = int(q["attrs"]["data-wall-us"])
        keys = [t["data-key"] for t in q["tasks"]]
        assert len(keys) == len(set(keys)) == int(q["attrs"]["data-tasks"])
        assert sum(int(t["data-scan-bytes"]) for t in q["tasks"]) == \
            size - len("k,v\n")
        for t in q["tasks"]:
            times = [int(t[f"data-{n}-us"])
                     for n in ("ready", "sent", "start", "end", "done")]
            assert times == sorted(times) and times[-1] <= wall
        assert trips in q["plan"]
    # Nothing is recorded once the block is over.
    assert not dusk._report.profiling()
    len(df)
    assert client._conn.take_profile() is None


def test_nested_blocks_and_a_raising_block(client, trips, tmp_path):
    df = dd.read_csv(trips, blocksize=65536)
    df.columns
    outer, inner = tmp_path / "outer.html", tmp_path / "inner.html"
    with pytest.raises(ZeroDivisionError):
        with dusk.performance_report(filename=str(outer)):
            len(df)
            with dusk.performance_report(filename=str(inner)):
                df.v.sum().compute()
            1 / 0
    # A column's sum is a groupby of no keys in the plan.
    inner_plans = [q["plan"] for q in read_report(inner)]
    assert len(inner_plans) == 1 and "sum(v)" in inner_plans[0]
    outer_plans = [q["plan"] for q in read_report(outer)]
    assert [p.split()[0] for p in outer_plans] == ["len", "groupby"]
    assert outer_plans[1] == inner_plans[0]


def test_unwritable_filename(client, trips, tmp_path):
    df = dd.read_csv(trips)
    bad = tmp_path / "no-such-folder" / "r.html"
    with pytest.raises(OSError) as e:
        with dusk.performance_report(filename=bad):
            len(df)
    assert str(bad) in str(e.value)
    assert not dusk._report.profiling()
