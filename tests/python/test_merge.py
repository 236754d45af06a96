"""dusk.dataframe's merge against pandas 1.5: a broadcast join of a small
right side, how="inner" and "left", single and composite keys, right keys
with several rows, null keys (NaN equals NaN in pandas' merge), clashing
names and their suffixes, then the steps after it - groupby, filters and
assigns on right columns, head, to_csv - at partition sizes of 1 KB, 64 KB
and the default.  And what is refused: unknown keys (with the closest
name), key dtypes pandas refuses, how="right" / "outer", a right side past
the broadcast limit, row order of an inner merge.  DataFrame.join of a
set_index lookup (its labels the left's), an index-on-index join of two
set_index frames for every how, and what each refuses."""
import random

import pandas as pd
import pandas.testing as pdt
import pytest

import dusk
import dusk.dataframe as dd
from conftest import BLOCKSIZE_IDS, BLOCKSIZES


@pytest.fixture(params=BLOCKSIZES, ids=BLOCKSIZE_IDS)
def bs(request):
    return request.param


def read(path, bs):
    return dd.read_csv(path, blocksize=bs) if bs else dd.read_csv(path)


def write_zones(path):
    """The taxi zone lookup's shape: 265 unique LocationIDs, a Borough
    (some missing), a Zone holding commas and quotes, a service_zone."""
    rnd = random.Random(11)
    boroughs = ["Manhattan", "Queens", "Brooklyn", "Bronx", "Staten Island",
                "EWR", ""]
    with open(path, "w", newline="") as f:
        f.write("LocationID,Borough,Zone,service_zone\n")
        for i in range(1, 266):
            zone = rnd.choice(["Alphabet City", "Astoria, North",
                               'JFK "Airport"', "Bay Ridge", "NV"])
            zone = '"' + zone.replace('"', '""') + '"' if any(
                ch in zone for ch in ',"') else zone
            f.write(f"{i},{rnd.choice(boroughs)},{zone},"
                    f"{rnd.choice(['Yellow Zone', 'Boro Zone', ''])}\n")


def write_left(path, rows, seed):
    """k (int key 0..11, nulls), g (a second key, text), x (int, nulls),
    name (text with separators, quotes and newlines), y (float)."""
    rnd = random.Random(seed)
    with open(path, "w", newline="") as f:
        f.write("k,g,x,name,y\n")
        for i in range(rows):
            k = "" if i % 29 == 4 else str(rnd.randint(0, 11))
            g = rnd.choice(["a", "b", "c", ""])
            x = "" if i % 11 == 3 else str(rnd.randint(-50, 50))
            name = rnd.choice(["red", "blue, dark", 'say "hi"', "two\nlines",
                               "ünï", ""])
            if any(ch in name for ch in ',"\n'):
                name = '"' + name.replace('"', '""') + '"'
            f.write(f"{k},{g},{x},{name},{rnd.uniform(-5, 5)!r}\n")


def write_right(path):
    """Keys 0..9 (none for 10, 11), several rows for some, null keys:
    k, g, label (text), x (clashes with the left's), w (int, one null)."""
    rnd = random.Random(3)
    rows = []
    for k in [3, 0, 1, 2, 3, "", 4, 5, 6, 7, 8, 9, 3, "", 7]:
        rows.append((k, rnd.choice(["a", "b", "c", ""]),
                     rnd.choice(["p", "q, r", "s"]), rnd.randint(0, 9)))
    with open(path, "w", newline="") as f:
        f.write("k,g,label,x,w\n")
        for i, (k, g, label, x) in enumerate(rows):
            label = f'"{label}"' if "," in label else label
            w = "" if i == 9 else str(i * 10)
            f.write(f"{k},{g},{label},{x},{w}\n")


def write_unique_right(path):
    """One row per key 0..8, int columns without nulls."""
    with open(path, "w") as f:
        f.write("key,size,tier\n")
        for k in range(9):
            f.write(f"{k},{k * 100},{'hi' if k % 2 else 'lo'}\n")


def write_big(path, key):
    """A right side past the broadcast join's 64 MiB: 66 MiB of rows of key
    1 and a long pad."""
    with open(path, "w") as f:
        f.write(f"{key},pad\n")
        line = "1," + "p" * 1000 + "\n"
        for _ in range(66 * 1024):
            f.write(line)
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory, data_dir):
    d = tmp_path_factory.mktemp("merge")
    write_zones(d / "zones.csv")
    write_left(d / "left.csv", 2500, seed=1)
    write_right(d / "right.csv")
    write_unique_right(d / "uniq.csv")
    return {"zones": str(d / "zones.csv"), "left": str(d / "left.csv"),
            "right": str(d / "right.csv"), "uniq": str(d / "uniq.csv"),
            "fhv": str(data_dir / "fhvhv_feb.csv"), "dir": d}


def assert_to_csv(got, want, out):
    """to_csv writes pandas' text: labels 0.. of the merged rows, a right
    int column with a missing value as floats; one file per partition."""
    files = got.to_csv(str(out))
    want = want.reset_index(drop=True).to_csv().split("\n", 1)
    lines = []
    for f in sorted(files):
        with open(f, newline="") as fh:
            text = fh.read().split("\n", 1)
        assert text[0] == want[0]
        lines.append(text[1] if len(text) > 1 else "")
    assert "".join(lines) == want[1]


def frames(files, name, bs):
    return read(files[name], bs), pd.read_csv(files[name])


# ---- the taxi query ------------------------------------------------------------

def test_taxi_zone_merge_groupby_borough(client, files, bs):
    df, pdf = frames(files, "fhv", bs)
    z, pz = dd.read_csv(files["zones"]), pd.read_csv(files["zones"])
    got = df.merge(z, left_on="PULocationID", right_on="LocationID") \
        .groupby("Borough").size().compute()
    want = pdf.merge(pz, left_on="PULocationID", right_on="LocationID") \
        .groupby("Borough").size()
    pdt.assert_series_equal(got, want)
    got = dd.merge(df, z, how="left", left_on="PULocationID",
                   right_on="LocationID").groupby(
                       ["Borough", "service_zone"], dropna=False).size()
    want = pd.merge(pdf, pz, how="left", left_on="PULocationID",
                    right_on="LocationID").groupby(
                        ["Borough", "service_zone"], dropna=False).size()
    pdt.assert_series_equal(got.compute(), want)


def test_left_merge_rows_in_pandas_order(client, files, bs):
    df, pdf = frames(files, "fhv", bs)
    z, pz = dd.read_csv(files["zones"]), pd.read_csv(files["zones"])
    got = df.merge(z, how="left", left_on="PULocationID",
                   right_on="LocationID")
    want = pdf.merge(pz, how="left", left_on="PULocationID",
                     right_on="LocationID")
    pdt.assert_frame_equal(got.compute(), want)
    pdt.assert_frame_equal(got.head(25), want.head(25))


# ---- inner and left, keys, duplicates, nulls, suffixes ---------------------------

@pytest.mark.parametrize("how", ["inner", "left"])
def test_one_to_many_null_keys_and_suffixes(client, files, bs, how):
    df, pdf = frames(files, "left", bs)
    r, pr = dd.read_csv(files["right"]), pd.read_csv(files["right"])
    got = df.merge(r, on="k", how=how)
    want = pdf.merge(pr, on="k", how=how)
    assert list(got.columns) == list(want.columns)
    # groupby over right and suffixed columns (order-free)
    pdt.assert_frame_equal(
        got.groupby("label").agg({"x_x": "sum", "w": "sum", "x_y": "max"})
        .compute(),
        want.groupby("label").agg({"x_x": "sum", "w": "sum", "x_y": "max"}))
    pdt.assert_series_equal(got.groupby("k", dropna=False).size().compute(),
                            want.groupby("k", dropna=False).size())
    assert len(got) == len(want)
    # a filter and an assign on right columns
    f, pf = got[got.w > 40], want[want.w > 40]
    pdt.assert_frame_equal(
        f.assign(t=f.w + f.x_x).groupby("g_y").t.sum().to_frame().compute(),
        pf.assign(t=pf.w + pf.x_x).groupby("g_y").t.sum().to_frame())
    if how == "left":
        pdt.assert_frame_equal(got.compute(), want)
        pdt.assert_frame_equal(got.head(40), want.head(40))
        pdt.assert_frame_equal(got.query("w > 40").compute(),
                               want.query("w > 40"))


@pytest.mark.parametrize("how", ["inner", "left"])
def test_composite_keys(client, files, bs, how):
    df, pdf = frames(files, "left", bs)
    r, pr = dd.read_csv(files["right"]), pd.read_csv(files["right"])
    got = df.merge(r, on=["k", "g"], how=how, suffixes=("_l", "_r"))
    want = pdf.merge(pr, on=["k", "g"], how=how, suffixes=("_l", "_r"))
    assert list(got.columns) == list(want.columns)
    pdt.assert_series_equal(
        got.groupby(["k", "g"], dropna=False).w.sum().compute(),
        want.groupby(["k", "g"], dropna=False).w.sum())
    if how == "left":
        pdt.assert_frame_equal(got.compute(), want)


def test_left_on_right_on_keep_both_keys(client, files, bs, tmp_path):
    df, pdf = frames(files, "left", bs)
    u, pu = dd.read_csv(files["uniq"]), pd.read_csv(files["uniq"])
    got = df.merge(u, how="left", left_on="k", right_on="key")
    want = pdf.merge(pu, how="left", left_on="k", right_on="key")
    pdt.assert_frame_equal(got.compute(), want)  # size, key: float64 (NaN)
    assert_to_csv(got[["k", "x", "key", "size", "tier"]],
                  want[["k", "x", "key", "size", "tier"]],
                  tmp_path / f"left-{bs}")
    got = df.merge(u, left_on="k", right_on="key")
    want = pdf.merge(pu, left_on="k", right_on="key")
    # inner, every key matched: the right's ints stay int64
    pdt.assert_series_equal(got.groupby("tier")["size"].sum().compute(),
                            want.groupby("tier")["size"].sum())
    pdt.assert_series_equal(got.dtypes, want.dtypes)


def test_int_key_against_float_key(client, files, tmp_path):
    path = tmp_path / "fk.csv"
    path.write_text("fk,v\n1.0,a\n2.5,b\n3.0,c\n,d\n")
    df, pdf = frames(files, "left", "1KB")
    got = df.merge(dd.read_csv(str(path)), how="left", left_on="k",
                   right_on="fk")
    want = pdf.merge(pd.read_csv(path), how="left", left_on="k",
                     right_on="fk")
    pdt.assert_frame_equal(got.compute(), want)


def test_right_side_steps_and_to_csv(client, files, bs, tmp_path):
    df, pdf = frames(files, "left", bs)
    r = dd.read_csv(files["right"]).query("w >= 20").assign(w2=lambda d:
                                                             d.w * 2)
    pr = pd.read_csv(files["right"]).query("w >= 20")
    pr = pr.assign(w2=pr.w * 2)
    got = df.query("x > 0").merge(r[["k", "label", "w2"]], on="k",
                                  how="left")
    want = pdf.query("x > 0").merge(pr[["k", "label", "w2"]], on="k",
                                    how="left")
    pdt.assert_frame_equal(got.compute(), want.reset_index(drop=True))
    # (y left out: pandas' read_csv may read a float 1 ulp off its text)
    cols = ["k", "g", "x", "name", "label", "w2"]
    assert_to_csv(got[cols], want[cols], tmp_path / f"out-{bs}")


# ---- refused --------------------------------------------------------------------

def test_refusals(client, files, tmp_path):
    df = dd.read_csv(files["left"])
    r = dd.read_csv(files["right"])
    with pytest.raises(KeyError, match=r"merge left_on: unknown column 'kk'; "
                                       r"did you mean 'k'"):
        len(df.merge(r, left_on="kk", right_on="k"))
    with pytest.raises(KeyError, match=r"merge right_on: unknown column "
                                       r"'lable'; did you mean 'label'"):
        len(df.merge(r, left_on="k", right_on="lable"))
    # pandas: "You are trying to merge on float64 and object columns"
    # (k holds a null, so pandas holds it as float64)
    with pytest.raises(dusk.DuskError, match=r"merge on float64 and object "
                                             r"columns.*'k'.*'label'"):
        len(df.merge(r, left_on="k", right_on="label"))
    with pytest.raises(dusk.DuskError, match=r"merge on object and int64 "
                                             r"columns.*'name'.*'x'"):
        len(df.merge(r, left_on="name", right_on="x"))
    # right and outer are shuffle joins (test_shuffle_join.py): their
    # aggregations and rows are pandas'; broadcast=True refuses them
    pdf, pr = pd.read_csv(files["left"]), pd.read_csv(files["right"])
    for how in ("right", "outer"):
        assert len(df.merge(r, on="k", how=how)) == \
            len(pdf.merge(pr, on="k", how=how))
        pdt.assert_frame_equal(df.merge(r, on="k", how=how).head(),
                               pdf.merge(pr, on="k", how=how).head())
        with pytest.raises(dusk.DuskError, match="with broadcast=True"):
            len(df.merge(r, on="k", how=how, broadcast=True))
    # an inner merge's rows (by key, as keys first appear on the left) come
    # from a shuffle join; a broadcast join cannot give that order
    pdt.assert_frame_equal(df.merge(r, on="k").head(),
                           pdf.merge(pr, on="k").head())
    with pytest.raises(dusk.DuskError, match="pandas 1.5 orders an inner"):
        df.merge(r, on="k", broadcast=True).head()
    # so do its first / last (the broadcast join's would follow left rows)
    pdt.assert_series_equal(
        df.merge(r, on="k").groupby("g_y").x_x.first().compute(),
        pdf.merge(pr, on="k").groupby("g_y").x_x.first())
    pdt.assert_frame_equal(
        df.merge(r, on="k").groupby("label").agg({"y": "last"}).compute(),
        pdf.merge(pr, on="k").groupby("label").agg({"y": "last"}))
    with pytest.raises(dusk.DuskError, match="last of an inner merge with "
                       "broadcast=True.*leave broadcast=True out"):
        df.merge(r, on="k", broadcast=True).groupby("g_y").y.last() \
            .compute()
    with pytest.raises(dusk.DuskError, match="two columns named 'x_y'"):
        len(df.assign(x_y=df.x).merge(r, on="k"))
    big = write_big(tmp_path / "big.csv", "k")
    # past the broadcast join's limit: a shuffle join, its rows refused
    with pytest.raises(dusk.DuskError, match=r"right side is 64\.\d MiB.*"
                                             r"64 MiB.*broadcast=True out"):
        len(df.merge(dd.read_csv(str(big)), on="k", broadcast=True))
    pbig = pdf.merge(pd.read_csv(big), on="k")
    # each left row of key 1 meets 67,584 equal right rows: the joins keep
    # the first per key as they go, not every row the merge makes
    pdt.assert_frame_equal(
        df.merge(dd.read_csv(str(big)), on="k").drop_duplicates().compute(),
        pbig.drop_duplicates())
    assert len(df.merge(dd.read_csv(str(big)), on="k")) == len(pbig)
    pdt.assert_frame_equal(df.merge(dd.read_csv(str(big)), on="k").head(3),
                           pbig.head(3))


def test_concat_then_merge_labels_run_across_files(client, files, bs,
                                                    data_dir):
    a, b = str(data_dir / "fhvhv_feb.csv"), str(data_dir / "fhvhv_apr.csv")
    z, pz = dd.read_csv(files["zones"]), pd.read_csv(files["zones"])
    got = dd.concat([read(a, bs), read(b, bs)]).merge(
        z, how="left", left_on="PULocationID", right_on="LocationID")
    want = pd.concat([pd.read_csv(a), pd.read_csv(b)]).merge(
        pz, how="left", left_on="PULocationID", right_on="LocationID")
    pdt.assert_frame_equal(got.compute(), want)
    pdt.assert_frame_equal(got.head(10), want.head(10))


def test_right_side_without_rows(client, files, bs):
    df, pdf = frames(files, "left", bs)
    r = dd.read_csv(files["uniq"]).query("key > 100")
    pr = pd.read_csv(files["uniq"]).query("key > 100")
    got = df.merge(r, how="left", left_on="k", right_on="key")
    want = pdf.merge(pr, how="left", left_on="k", right_on="key")
    pdt.assert_frame_equal(got.compute(), want)
    assert len(df.merge(r, left_on="k", right_on="key")) == 0


@pytest.mark.parametrize("how", ["inner", "left", "right", "outer"])
def test_a_merge_of_no_rows_has_an_object_index(client, files, bs, how):
    """pandas labels a merge that gives no row at all with an empty object
    Index - also its head and its rows after a filter - where a filter
    that empties a merge of rows keeps its int64 one.  Broadcast and
    shuffle joins alike (checked with check_index_type)."""
    df, pdf = frames(files, "left", bs)
    r = dd.read_csv(files["uniq"]).query("key > 100")
    pr = pd.read_csv(files["uniq"]).query("key > 100")
    shuffle = {} if how in ("inner", "left") else {"broadcast": False}
    cases = {  # name: a function of (left, right, merge options)
        "no right row": lambda a, b, **kw: a.query("k > 100").merge(
            b, left_on="k", right_on="key", how=how, **kw),
        "its head, then a filter": lambda a, b, **kw: (lambda m: m[
            m.x > 0])(a.query("k > 100").merge(
                b, left_on="k", right_on="key", how=how, **kw)).head(3),
        "a filter that empties rows": lambda a, b, **kw: (lambda m: m[
            m.k > 100])(a.merge(b, left_on="k", right_on="key",
                                how="left", **kw)),
    }
    for name, q in cases.items():
        for kw in ({}, shuffle, {"broadcast": False}):
            got = q(df, r, **kw)
            got = got.compute() if hasattr(got, "compute") else got
            pdt.assert_frame_equal(got, q(pdf, pr), check_index_type=True,
                                   obj=f"{name} ({how}, {kw})")


def test_right_column_widened_past_the_sample(client, tmp_path):
    """A right column whose first float lies past the scheduler's sample is
    widened on the right side alone: the left's column of the same name
    stays int64, as in pandas."""
    left, right = tmp_path / "l.csv", tmp_path / "r.csv"
    with open(left, "w") as f:
        f.write("k,x\n")
        for i in range(3000):
            f.write(f"{i % 40},{i}\n")
    with open(right, "w") as f:
        f.write("k,x,pad\n")
        for i in range(40):
            f.write(f"{i},{i * 3},{'p' * 10000}\n")
        f.write(f"40,2.5,{'p' * 10}\n")
    got = dd.read_csv(str(left), blocksize="8KB").merge(
        dd.read_csv(str(right))[["k", "x"]], on="k", how="left")
    want = pd.read_csv(left).merge(pd.read_csv(right)[["k", "x"]], on="k",
                                   how="left")
    assert want.dtypes["x_x"] == "int64" and want.dtypes["x_y"] == "float64"
    pdt.assert_frame_equal(got.compute(), want)


def test_row_results_after_a_left_merge(client, files, bs):
    """drop_duplicates, nlargest, value_counts and describe over the merged
    rows (one-to-many: labels of the merged frame)."""
    df, pdf = frames(files, "left", bs)
    r, pr = dd.read_csv(files["right"]), pd.read_csv(files["right"])
    got, want = df.merge(r, on="k", how="left"), pdf.merge(pr, on="k",
                                                         how="left")
    pdt.assert_frame_equal(got.drop_duplicates(["label", "g_y"]).compute(),
                           want.drop_duplicates(["label", "g_y"]))
    pdt.assert_frame_equal(got.nlargest(7, "w").compute(),
                           want.nlargest(7, "w"))
    pdt.assert_series_equal(got.label.value_counts().compute().sort_index(),
                            want.label.value_counts().sort_index())
    pdt.assert_frame_equal(got[["w", "x_y"]].describe().compute(),
                           want[["w", "x_y"]].describe())
    # the whole merged frame sorted straight after the merge: every column
    # of both sides (the left's were once left unread)
    pdt.assert_frame_equal(got.sort_values("w").compute(),
                           want.sort_values("w"))


def test_datetime_text_and_bool_keys_then_fillna(client, tmp_path, bs):
    """Keys of datetimes (parse_dates on both sides), of text holding
    quotes and newlines, and of bools against ints; a fillna and a .str
    step on the right's columns after the merge."""
    left, right = tmp_path / "l.csv", tmp_path / "r.csv"
    names = ["a", 'say "hi"', "two\nlines", "b, c", ""]
    with open(left, "w", newline="") as f:
        f.write("t,name,flag,v\n")
        for i in range(400):
            t = "" if i % 23 == 5 else f"2021-02-0{1 + i % 4} 0{i % 3}:00:00"
            n = names[i % 5]
            n = '"' + n.replace('"', '""') + '"' if any(
                c in n for c in ',"\n') else n
            f.write(f"{t},{n},{['True', 'False'][i % 2]},{i}\n")
    with open(right, "w", newline="") as f:
        f.write("t,name,code,n\n")
        f.write('2021-02-01 00:00:00,"two\nlines",1,10\n')
        f.write('2021-02-02 01:00:00,a,0,20\n')
        f.write(',"say ""hi""",1,30\n')
        f.write('2021-02-03 02:00:00,,0,40\n')
        f.write('2021-02-01 00:00:00,"b, c",1,50\n')
    d = dd.read_csv(str(left), blocksize=bs, parse_dates=["t"]) if bs else \
        dd.read_csv(str(left), parse_dates=["t"])
    r = dd.read_csv(str(right), parse_dates=["t"])
    pl, pr = (pd.read_csv(left, parse_dates=["t"]),
              pd.read_csv(right, parse_dates=["t"]))
    for on in ("t", "name"):
        got, want = d.merge(r, on=on, how="left"), pl.merge(pr, on=on,
                                                           how="left")
        pdt.assert_frame_equal(got.compute(), want)
        got = got.fillna({"n": 0}).assign(m=lambda x: x.n * 2)
        want = want.fillna({"n": 0}).assign(m=lambda x: x.n * 2)
        pdt.assert_frame_equal(got.compute(), want)
    # pandas merges a bool key with an int one as object columns (its
    # left key becomes object): refused rather than typed otherwise
    with pytest.raises(dusk.DuskError, match="the bool key 'flag' against "
                                             "the int64 key 'code'"):
        len(d.merge(r, left_on="flag", right_on="code", how="left"))


def test_suffixed_column_keeps_the_samples_nulls(client, tmp_path):
    """head() stops before the row where the left's x holds its null, which
    the scheduler's sample saw: x_x is still pandas' float64."""
    left, right = tmp_path / "l.csv", tmp_path / "r.csv"
    with open(left, "w") as f:
        f.write("k,x\n" + "".join(
            f"{i % 4},{'' if i == 250 else i}\n" for i in range(300)))
    right.write_text("k,x\n0,5\n1,6\n2,7\n3,8\n")
    got = dd.read_csv(str(left), blocksize="1KB").merge(
        dd.read_csv(str(right)), on="k", how="left").head(5)
    want = pd.read_csv(left).merge(pd.read_csv(right), on="k",
                                   how="left").head(5)
    assert want.dtypes["x_x"] == "float64"
    pdt.assert_frame_equal(got, want)


# ---- DataFrame.join --------------------------------------------------------

def test_join_like_pandas(client, files, bs, tmp_path):
    """join(other.set_index(key), on=col): this frame's rows and labels
    (a row met twice repeats its label), other's columns after; nulls
    meet nulls; suffixes on shared names; after a filter the labels stay
    the file's; to_csv writes those labels; inner joins aggregate."""
    df, pdf = frames(files, "left", bs)
    r = dd.read_csv(files["right"]).set_index("k")
    pr = pd.read_csv(files["right"]).set_index("k")
    got = df.join(r, on="k", lsuffix="_l", rsuffix="_r")
    want = pdf.join(pr, on="k", lsuffix="_l", rsuffix="_r")
    pdt.assert_frame_equal(got.compute(), want)
    pdt.assert_frame_equal(got.head(40), want.head(40))
    # a left row met twice: its rows in the right's order, also as a
    # tail's (its ties on the label were once reversed)
    pdt.assert_frame_equal(got.tail(40), want.tail(40))
    kept = df[df.y > 0].join(r, on="k", rsuffix="_r")
    pdt.assert_frame_equal(kept.compute(),
                           pdf[pdf.y > 0].join(pr, on="k", rsuffix="_r"))
    files_out = kept.to_csv(str(tmp_path / "out"))
    text = "".join(open(f, newline="").read().split("\n", 1)[1]
                   for f in sorted(files_out))
    exact = pd.read_csv(files["left"], float_precision="round_trip")
    assert text == exact[exact.y > 0].join(pr, on="k", rsuffix="_r") \
        .to_csv().split("\n", 1)[1]
    # a row met twice keeps one label for both; the first of each key
    # is the first in the join's order (a shuffle join tells them apart)
    pdt.assert_frame_equal(
        got.drop_duplicates(["g_r", "w"]).compute(),
        want.drop_duplicates(["g_r", "w"]))
    pdt.assert_frame_equal(
        kept.drop_duplicates(["label"]).compute(),
        pdf[pdf.y > 0].join(pr, on="k", rsuffix="_r").drop_duplicates(
            ["label"]))
    inner = df.join(r, on="k", how="inner", rsuffix="_r")
    pinner = pdf.join(pr, on="k", how="inner", rsuffix="_r")
    pdt.assert_series_equal(inner.groupby("label").size().compute(),
                            pinner.groupby("label").size())
    assert len(inner) == len(pinner)
    # a composite index; a lookup of unique keys whose names are the left's
    two = dd.read_csv(files["right"]).set_index(["k", "g"])
    ptwo = pd.read_csv(files["right"]).set_index(["k", "g"])
    pdt.assert_frame_equal(
        df.join(two, on=["k", "g"], rsuffix="_r").compute(),
        pdf.join(ptwo, on=["k", "g"], rsuffix="_r"))
    u = dd.read_csv(files["uniq"]).set_index("key")
    pu = pd.read_csv(files["uniq"]).set_index("key")
    pdt.assert_frame_equal(df.join(u, on="x").compute(), pdf.join(pu, on="x"))


@pytest.mark.parametrize("how", ["inner", "right", "outer"])
def test_join_rows_of_every_how(client, files, bs, how):
    """join(other.set_index(key), on=col, how=inner / right / outer): a
    shuffle join whose rows come in pandas 1.5's order (inner and outer
    grouped by key, keys as they first appear on the left, outer's
    right-only keys last; right by other's rows) with their left rows'
    labels - NaN for a right-only row, which makes the index float64 for
    every row shown, as pandas' - and on= columns holding other's key
    there; after a filter too; head, tail, aggregations, a composite
    index, two files' labels each from 0."""
    df, pdf = frames(files, "left", bs)
    r = dd.read_csv(files["right"]).set_index("k")
    pr = pd.read_csv(files["right"]).set_index("k")
    got = df.join(r, on="k", how=how, lsuffix="_l", rsuffix="_r")
    want = pdf.join(pr, on="k", how=how, lsuffix="_l", rsuffix="_r")
    pdt.assert_frame_equal(got.compute(), want)
    pdt.assert_frame_equal(got.head(25), want.head(25))
    pdt.assert_frame_equal(got.tail(25), want.tail(25))
    assert len(got) == len(want)
    kept, pkept = got[got.y > 1], want[want.y > 1]
    pdt.assert_frame_equal(kept.compute(), pkept)
    pdt.assert_frame_equal(kept.head(9), pkept.head(9))
    pdt.assert_series_equal(got.label.compute(), want.label)
    # gathered, then sorted as pandas sorts them
    pdt.assert_frame_equal(
        got.sort_values(["g_l", "y"], ascending=[False, True]).compute(),
        want.sort_values(["g_l", "y"], ascending=[False, True]))
    pdt.assert_frame_equal(got.set_index("y").compute(),
                           sorted_index(want, "y"))
    pdt.assert_series_equal(got.groupby("g_r").w.sum().compute(),
                            want.groupby("g_r").w.sum())
    pdt.assert_series_equal(got.label.value_counts().compute(),
                            want.label.value_counts())
    # first / last go by pandas' row order (inner: grouped by key)
    pdt.assert_series_equal(got.groupby("g_l").w.first().compute(),
                            want.groupby("g_l").w.first())
    pdt.assert_frame_equal(got.groupby("label").last().compute(),
                           want.groupby("label").last())
    # two levels (without nulls: pandas 1.5's inner join of a MultiIndex
    # with NaN levels gives rows its own left join does not)
    two = dd.read_csv(files["right"]).dropna(subset=["k", "g"]).set_index(
        ["k", "g"])
    ptwo = pd.read_csv(files["right"]).dropna(subset=["k", "g"]).set_index(
        ["k", "g"])
    pdt.assert_frame_equal(
        df.join(two, on=["k", "g"], how=how, rsuffix="_r").compute(),
        pdf.join(ptwo, on=["k", "g"], how=how, rsuffix="_r"))
    a, b = str(files["fhv"]), str(files["fhv"])
    z = dd.read_csv(files["zones"]).set_index("LocationID")
    pz = pd.read_csv(files["zones"]).set_index("LocationID")
    both = dd.concat([read(a, bs), read(b, bs)]).join(
        z, on="PULocationID", how=how)
    pboth = pd.concat([pd.read_csv(a), pd.read_csv(b)]).join(
        pz, on="PULocationID", how=how)
    pdt.assert_frame_equal(both.head(40), pboth.head(40))
    pdt.assert_frame_equal(both.tail(40), pboth.tail(40))


def written_rows(files_out):
    """The rows of to_csv's files in order, each file's header dropped."""
    return "".join(open(f, newline="").read().split("\n", 1)[1]
                   for f in sorted(files_out))


@pytest.mark.parametrize("how", ["inner", "right", "outer"])
def test_join_rows_written_sorted_and_deduplicated(client, files, bs, how,
                                                   tmp_path):
    """What reads a join's inner / right / outer rows in pandas' order with
    their left rows' labels: to_csv's files byte for byte (a float64 index
    once a right-only row - key 20, 21 or a null - is NaN-labelled; after
    a filter; two files each labelled from 0), a sort written with to_csv,
    a sort's head and nsmallest (ties in the join's order), and
    drop_duplicates' first rows."""
    right = tmp_path / "right.csv"
    right.write_text(open(files["right"]).read() +
                     '20,z,only,1,2\n,z,"null, too",3,4\n21,y,p,5,\n')
    df = read(files["left"], bs)
    pdf = pd.read_csv(files["left"], float_precision="round_trip")
    r = dd.read_csv(str(right)).set_index("k")
    pr = pd.read_csv(str(right), float_precision="round_trip").set_index("k")
    got = df.join(r, on="k", how=how, rsuffix="_r")
    want = pdf.join(pr, on="k", how=how, rsuffix="_r")
    assert written_rows(got.to_csv(str(tmp_path / "all"))) == \
        want.to_csv().split("\n", 1)[1]
    cols = ["k", "x", "w", "label"]
    assert written_rows(got[got.y > 1][cols].to_csv(
        str(tmp_path / "kept"))) == \
        want[want.y > 1][cols].to_csv().split("\n", 1)[1]
    two = dd.concat([df, read(files["left"], bs)]).join(
        r, on="k", how=how, rsuffix="_r")
    ptwo = pd.concat([pdf, pdf]).join(pr, on="k", how=how, rsuffix="_r")
    assert written_rows(two.to_csv(str(tmp_path / "two"))) == \
        ptwo.to_csv().split("\n", 1)[1]
    by, up = ["g_r", "y"], [False, True]
    assert written_rows(got.sort_values(by, ascending=up).to_csv(
        str(tmp_path / "sorted"))) == want.sort_values(
            by, ascending=up, kind="stable").to_csv().split("\n", 1)[1]
    pdt.assert_frame_equal(got.sort_values("x").head(7),
                           want.sort_values("x", kind="stable").head(7))
    pdt.assert_frame_equal(
        got.sort_values("x", ascending=False).head(7),
        want.sort_values("x", ascending=False, kind="stable").head(7))
    pdt.assert_frame_equal(got.nsmallest(5, "w").compute(),
                           want.nsmallest(5, "w"))
    pdt.assert_frame_equal(got.drop_duplicates(["g_r"]).compute(),
                           want.drop_duplicates(["g_r"]))
    pdt.assert_frame_equal(got[["g", "label"]].drop_duplicates().compute(),
                           want[["g", "label"]].drop_duplicates())
    pdt.assert_frame_equal(got.drop_duplicates(["label"]).head(2),
                           want.drop_duplicates(["label"]).head(2))


def test_join_order_with_repeated_lookup_keys(client, bs, tmp_path):
    """A left row met by several rows of other keeps its label on each
    (one position): last takes the later of them, as pandas' does, for
    every how; an inner merge's or join's value_counts orders ties by
    first appearance in pandas' merged order (grouped by key); a sample
    before an inner join's first names why it is a shuffle join."""
    left, right = tmp_path / "l.csv", tmp_path / "r.csv"
    left.write_text("k,a,v\n" + "".join(
        f"{k},{i % 3},{'abcdefghij'[i % 10]}\n"
        for i, k in enumerate([1, 2, 1, 3, 2, 1, 3, 3, 2, 1] * 3)))
    right.write_text("k,w,t\n1,10,x\n1,20,y\n2,30,x\n3,40,z\n3,50,x\n"
                     "4,60,q\n")
    df, pdf = read(str(left), bs), pd.read_csv(left)
    r, pr = dd.read_csv(str(right)), pd.read_csv(right)
    for how in ("left", "inner", "right", "outer"):
        got = df.join(r.set_index("k"), on="k", how=how)
        want = pdf.join(pr.set_index("k"), on="k", how=how)
        for fn in ("first", "last"):
            pdt.assert_frame_equal(
                getattr(got.groupby("a")[["w", "t"]], fn)().compute(),
                getattr(want.groupby("a")[["w", "t"]], fn)(), obj=how + fn)
        pdt.assert_series_equal(got.v.value_counts().compute(),
                                want.v.value_counts())
    merged, pmerged = df.merge(r, on="k"), pdf.merge(pr, on="k")
    pdt.assert_series_equal(merged.v.value_counts().compute(),
                            pmerged.v.value_counts())
    pdt.assert_series_equal(merged.t.value_counts().compute(),
                            pmerged.t.value_counts())
    pdt.assert_series_equal(merged.groupby("a").w.last().compute(),
                            pmerged.groupby("a").w.last())
    # a grouped value_counts orders by count, then value: no order shows,
    # so the broadcast join answers it, as after a sample
    broadcast = df.merge(r, on="k", broadcast=True)
    pdt.assert_series_equal(
        broadcast.groupby("a").t.value_counts().compute(),
        pmerged.groupby("a").t.value_counts())
    assert len(merged.sample(frac=0.5, random_state=2).groupby("a")
               .t.value_counts().compute()) > 0
    with pytest.raises(dusk.DuskError, match="run as a shuffle join for "
                       "pandas' row order"):
        df.join(r.set_index("k"), on="k", how="inner").sample(
            frac=0.5, random_state=1).groupby("a").w.first().compute()


def test_join_value_counts_ties_of_one_left_row(client, bs, tmp_path):
    """Values first met on the rows of one left row (its several right
    rows) tie on its label; a join's value_counts and first / last still
    order them as pandas' merged rows do, whichever part made which value
    first (each key's two values meet again, the other way round, on a
    later key in another hash part)."""
    left, right = tmp_path / "l.csv", tmp_path / "r.csv"
    left.write_text("k,a\n" + "".join(f"{k},{k % 5}\n" for k in range(200)))
    right.write_text("k,t\n" + "".join(
        f"{k},p{k}\n{k},q{k}\n{k + 100},q{k}\n{k + 100},p{k}\n"
        for k in range(100)))
    df, pdf = read(str(left), bs), pd.read_csv(left)
    r, pr = dd.read_csv(str(right)), pd.read_csv(right)
    for how in ("inner", "outer", "left", "right"):
        got = df.join(r.set_index("k"), on="k", how=how)
        want = pdf.join(pr.set_index("k"), on="k", how=how)
        pdt.assert_series_equal(got.t.value_counts().compute(),
                                want.t.value_counts())
        pdt.assert_series_equal(got.groupby("a").t.last().compute(),
                                want.groupby("a").t.last())


def test_join_to_csv_of_one_key_spread_over_the_files(client, tmp_path):
    """to_csv of an inner join whose rows are one key's, from two files:
    the cuts fall inside that key's group, each row placed by its rank in
    the group - so the files hold about as many rows each (not the
    second file's rows all in the last) and read as pandas' to_csv."""
    left, right = tmp_path / "l.csv", tmp_path / "r.csv"
    left.write_text("k,x\n" + "".join(f"1,{i}\n" for i in range(3000)))
    right.write_text("k,w\n1,7\n")
    both = dd.concat([dd.read_csv(str(left), blocksize="4KB")] * 2).join(
        dd.read_csv(str(right)).set_index("k"), on="k", how="inner")
    pboth = pd.concat([pd.read_csv(left)] * 2).join(
        pd.read_csv(right).set_index("k"), on="k", how="inner")
    files_out = both.to_csv(str(tmp_path / "out"))
    assert written_rows(files_out) == pboth.to_csv().split("\n", 1)[1]
    sizes = [len(open(f).read().splitlines()) - 1 for f in files_out]
    assert len(sizes) > 2 and max(sizes) <= 1.5 * len(pboth) / len(sizes), \
        sizes


def test_join_of_two_files(client, files, bs, data_dir):
    """Each file's rows keep their own labels (from 0), as pandas' concat
    of the two read_csv frames has them, joined to the zone lookup."""
    a, b = str(data_dir / "fhvhv_feb.csv"), str(data_dir / "fhvhv_apr.csv")
    z = dd.read_csv(files["zones"]).set_index("LocationID")
    pz = pd.read_csv(files["zones"]).set_index("LocationID")
    got = dd.concat([read(a, bs), read(b, bs)]).join(z, on="PULocationID")
    want = pd.concat([pd.read_csv(a), pd.read_csv(b)]).join(
        pz, on="PULocationID")
    pdt.assert_frame_equal(got.compute(), want)
    pdt.assert_series_equal(
        got.groupby("Borough").size().compute(),
        want.groupby("Borough").size())


def write_big_lookup(path):
    """A lookup past the broadcast join's 64 MiB: keys 0..19 twice, then
    one row per key to 67,500, a null key; w (int) and a long pad."""
    with open(path, "w") as f:
        f.write("key,w,pad\n")
        pad = "p" * 1000
        for i in range(67540):
            key = i // 2 if i < 40 else i - 20
            f.write(f"{key},{i * 3},{pad}\n")
        f.write(f",-1,{pad}\n")
    return str(path)


@pytest.fixture(scope="module")
def big_lookup(tmp_path_factory):
    return write_big_lookup(tmp_path_factory.mktemp("join") / "big.csv")


def test_join_past_the_broadcast_limit(client, files, bs, big_lookup,
                                       tmp_path):
    """join(other, on=) of a lookup past 64 MiB: a shuffle join whose rows
    keep this frame's labels (a row met twice repeats its label) in its
    order - computed, head, tail, after a filter, a sort's top rows and
    to_csv byte for byte; the labels of a concat's files restart at 0;
    an inner join aggregates, its rows refused as the broadcast's are."""
    df, pdf = frames(files, "left", bs)
    big = dd.read_csv(big_lookup).set_index("key")
    pbig = pd.read_csv(big_lookup).set_index("key")
    got = df.join(big, on="k")
    want = pdf.join(pbig, on="k")
    pdt.assert_frame_equal(got.compute(), want)
    pdt.assert_frame_equal(got.head(11), want.head(11))
    pdt.assert_frame_equal(got.tail(11), want.tail(11))
    kept = got[got.y > 1]
    pdt.assert_frame_equal(kept.compute(), want[want.y > 1])
    pdt.assert_frame_equal(got.sort_values("w").head(6),
                           want.sort_values("w", kind="stable").head(6))
    pdt.assert_series_equal(got.w.compute(), want.w)
    pdt.assert_frame_equal(got.drop_duplicates(["g", "pad"]).compute(),
                           want.drop_duplicates(["g", "pad"]))
    written = kept[["k", "x", "w"]].to_csv(str(tmp_path / "out"))
    text = "".join(open(f, newline="").read().split("\n", 1)[1]
                   for f in sorted(written))
    assert text == want[want.y > 1][["k", "x", "w"]].to_csv() \
        .split("\n", 1)[1]
    # sorted and written by range: the labels are the left's, from the
    # joins' order groups
    written = got[["k", "x", "w"]].sort_values(
        "x", ascending=False).to_csv(str(tmp_path / "sorted"))
    assert len(written) >= 2
    text = "".join(open(f, newline="").read().split("\n", 1)[1]
                   for f in sorted(written))
    assert text == want[["k", "x", "w"]].sort_values(
        "x", ascending=False, kind="stable").to_csv().split("\n", 1)[1]
    both = dd.concat([df, df[df.x > 0]]).join(big, on="k")
    pdt.assert_frame_equal(
        both.compute(), pd.concat([pdf, pdf[pdf.x > 0]]).join(pbig, on="k"))
    inner = df.join(big, on="k", how="inner")
    pinner = pdf.join(pbig, on="k", how="inner")
    assert len(inner) == len(pinner)
    pdt.assert_series_equal(inner.groupby("g").w.sum().compute(),
                            pinner.groupby("g").w.sum())
    pdt.assert_frame_equal(inner.head(30), pinner.head(30))
    outer = df.join(big, on="k", how="outer")
    pouter = pdf.join(pbig, on="k", how="outer")
    pdt.assert_frame_equal(outer.head(30), pouter.head(30))
    pdt.assert_frame_equal(outer.tail(30), pouter.tail(30))


def sorted_index(pdf, keys):
    """pandas' frame as a dusk set_index gives it: sorted by the index,
    ties in file order, nulls last."""
    return pdf.set_index(keys).sort_index(kind="stable", na_position="last")


@pytest.mark.parametrize("how", ["left", "inner", "right", "outer"])
def test_join_on_indexes_like_pandas(client, files, bs, how, tmp_path):
    """join of two set_index frames (no on=): pandas' rows for every how -
    int keys with nulls and ties on both sides (a key met many times
    gives every pair, in pandas' order), keys only one side has, clashing
    names suffixed - then head, tail, len, a group-by of the index, a
    column; a text index; a two-level one; to_csv where it writes."""
    df, pdf = frames(files, "left", bs)
    r, pr = dd.read_csv(files["right"]), pd.read_csv(files["right"])
    got = df.set_index("k").join(r.set_index("k"), how=how, lsuffix="_l",
                                 rsuffix="_r")
    want = sorted_index(pdf, "k").join(sorted_index(pr, "k"), how=how,
                                       lsuffix="_l", rsuffix="_r")
    pdt.assert_frame_equal(got.compute(), want)
    pdt.assert_frame_equal(got.head(9), want.head(9))
    pdt.assert_frame_equal(got.tail(9), want.tail(9))
    assert len(got) == len(want)
    pdt.assert_series_equal(got.groupby(level=0).size().compute(),
                            want.groupby(level=0).size())
    pdt.assert_series_equal(got.label.compute(), want.label)
    text = df.set_index("g").join(r.set_index("g"), how=how, lsuffix="_l",
                                  rsuffix="_r")
    pdt.assert_frame_equal(
        text.compute(), sorted_index(pdf, "g").join(
            sorted_index(pr, "g"), how=how, lsuffix="_l", rsuffix="_r"))
    # two levels, named alike in another order on the right
    two = df.set_index(["k", "g"]).join(r.set_index(["g", "k"]), how=how,
                                        lsuffix="_l", rsuffix="_r")
    pdt.assert_frame_equal(
        two.compute(), sorted_index(pdf, ["k", "g"]).join(
            sorted_index(pr, ["g", "k"]), how=how, lsuffix="_l",
            rsuffix="_r"))
    # written by range (a broadcast join's rows or a shuffle join's)
    written = got.to_csv(str(tmp_path / "out"))
    lines = "".join(open(f, newline="").read().split("\n", 1)[1]
                    for f in sorted(written))
    exact = sorted_index(pd.read_csv(files["left"],
                                     float_precision="round_trip"), "k")
    assert lines == exact.join(sorted_index(pr, "k"), how=how,
                               lsuffix="_l", rsuffix="_r") \
        .to_csv().split("\n", 1)[1]


def test_join_on_indexes_of_int_and_float(client, tmp_path):
    """pandas joins an int index with a float one (a null key, or float
    keys) as float64 for every how; dusk casts the int side first.  A merge on
    such keys keeps pandas' key dtype: float64 for how="right" /
    "outer", the left's otherwise."""
    ints, nulls, floats = (tmp_path / n for n in ("i.csv", "n.csv",
                                                  "f.csv"))
    ints.write_text("k,b\n3,10\n7,20\n1,30\n2,50\n")
    nulls.write_text("k,c\n1,a\n,b\n3,c\n3,d\n8,e\n")
    floats.write_text("k,d\n3.5,1\n1.0,2\n3.0,3\n")
    dusk_side = {p: dd.read_csv(str(p)).set_index("k")
                 for p in (ints, nulls, floats)}
    pandas_side = {p: sorted_index(pd.read_csv(p), "k")
                   for p in (ints, nulls, floats)}
    for a, b in ((ints, nulls), (nulls, ints), (ints, floats),
                 (floats, ints)):
        for how in ("left", "inner", "right", "outer"):
            pdt.assert_frame_equal(
                dusk_side[a].join(dusk_side[b], how=how).compute(),
                pandas_side[a].join(pandas_side[b], how=how),
                obj=f"{a.name} join {b.name} ({how})")
    # the merge itself on such keys (its key column float64 for right
    # and outer, where it once failed in a worker with a type error)
    for a, b in ((ints, floats), (floats, ints), (nulls, floats)):
        for how in ("left", "inner", "right", "outer"):
            pdt.assert_frame_equal(
                dd.read_csv(str(a)).merge(dd.read_csv(str(b)), on="k",
                                          how=how).compute(),
                pd.read_csv(a).merge(pd.read_csv(b), on="k", how=how),
                obj=f"{a.name} merge {b.name} ({how})")
    # what is computed from the cast key counts no null of the int column
    # it replaced (an int dtype stays one)
    for how in ("right", "outer"):
        m = dd.read_csv(str(ints)).merge(dd.read_csv(str(floats)), on="k",
                                         how=how)
        pm = pd.read_csv(ints).merge(pd.read_csv(floats), on="k", how=how)
        pdt.assert_series_equal(m.k.astype("int64").compute(),
                                pm.k.astype("int64"))
    texts = tmp_path / "t.csv"
    texts.write_text("k,e\nx,1\n")
    with pytest.raises(NotImplementedError, match="join of the object index "
                       "'k' with a float64 one"):
        dd.read_csv(str(texts)).set_index("k").join(dusk_side[floats])


def test_join_on_indexes_refusals(client, files):
    df = read(files["left"], None)
    r = dd.read_csv(files["right"])
    with pytest.raises(NotImplementedError, match="join without on= of a "
                       "frame with no set_index"):
        df.join(r.set_index("k"), rsuffix="_r")
    with pytest.raises(ValueError, match=r"columns overlap but no suffix "
                       r"specified: Index\(\['g', 'x'\]"):
        df.set_index("k").join(r.set_index("k"))
    with pytest.raises(NotImplementedError, match="indexes 'k' and 'w': "
                       "pandas names the result's index None"):
        df.set_index("k").join(r.set_index("w"), rsuffix="_r")
    with pytest.raises(NotImplementedError, match="drop=False"):
        df.set_index("k").join(r.set_index("k", drop=False), rsuffix="_r")
    with pytest.raises(NotImplementedError, match="same level names"):
        df.set_index(["k", "g"]).join(r.set_index(["k", "w"]),
                                      rsuffix="_r")
    with pytest.raises(NotImplementedError, match='how="cross"'):
        df.set_index("k").join(r.set_index("k"), how="cross", rsuffix="_r")


def test_join_refusals(client, files):
    df = read(files["left"], None)
    r = dd.read_csv(files["right"])
    with pytest.raises(ValueError, match=r"columns overlap but no suffix "
                       r"specified: Index\(\['g', 'x'\]"):
        df.join(r.set_index("k"), on="k")
    with pytest.raises(NotImplementedError, match="set_index"):
        df.join(r, on="k")
    with pytest.raises(NotImplementedError, match='how="cross"'):
        df.join(r.set_index("k"), on="k", how="cross", rsuffix="_r")
    with pytest.raises(NotImplementedError, match="which other has as a "
                       "column too"):
        df.join(r.set_index("w"), on="k", how="right", rsuffix="_r")
    with pytest.raises(ValueError, match="number of levels"):
        df.join(r.set_index("k"), on=["k", "g"], rsuffix="_r")
    with pytest.raises(NotImplementedError, match="drop=False"):
        df.join(r.set_index("k", drop=False), on="k", rsuffix="_r")
    # a left join's drop_duplicates(subset) runs as a shuffle join, so a
    # sample before it is refused as a shuffle merge's is - saying why
    with pytest.raises(dusk.DuskError, match=r'drop_duplicates of a join '
                       r'\(how="left", run as a shuffle join for its '
                       r'drop_duplicates\(subset\)\) after a sample.*'
                       r'sample the frames before the join'):
        df.join(r.set_index("k"), on="k", rsuffix="_r").sample(
            frac=0.5, random_state=1).drop_duplicates(["g_r"]).compute()
