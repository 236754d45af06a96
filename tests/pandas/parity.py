#!/usr/bin/python3
"""Parity with pandas: dusk's `--format csv` output against pandas' to_csv()
for the same query, on generated data with nulls and quoted fields holding
commas, doubled quotes and newlines, at several partition sizes.

Run by ctest with Debian's /usr/bin/python3 (python3-pandas):
  parity.py --bin BUILD/bin --work DIR [--blocksizes 1KB,64KB,default]

Comparison is numeric-aware (1 == 1.0: dusk keeps an int column with nulls
integral where pandas makes it float), otherwise exact: same header, same
rows in the same order (value_counts' ties too: dusk reproduces the order
pandas 1.5 with numpy 1.24 gives them).  Prints one line per check
and a closing 'N passed, N failed' line.
"""
import argparse
import csv
import glob
import io
import math
import os
import random
import shutil
import subprocess
import sys
import warnings

import pandas as pd


LONG_NAME = "fare_amount_" + "x" * 110


def make_data(bin_dir, work):
    os.makedirs(work, exist_ok=True)
    files = {}
    for name, rows, seed in (("a", 6000, 1), ("b", 3000, 2)):
        path = os.path.join(work, f"fhv_{name}.csv")
        subprocess.run([os.path.join(bin_dir, "dusk-gen-fhv"), path,
                        str(rows), "--seed", str(seed), "--quoted"],
                       check=True)
        files[name] = path
    # A file whose int column turns float, then text, late (type widening),
    # with CRLF line ends, a BOM and no final newline.
    rnd = random.Random(7)
    path = os.path.join(work, "widen.csv")
    with open(path, "w", newline="") as f:
        f.write("\ufeffk,x,y,s\r\n")
        for i in range(4000):
            x = str(rnd.randint(-50, 50))
            if i == 3500:
                x = "3.5"
            y = "" if i % 17 == 0 else str(rnd.randint(0, 9))
            if i == 3900:
                y = "abc"
            s = rnd.choice(["red", "green", "", "blue, dark", 'say "hi"',
                            "two\nlines"])
            if s and any(ch in s for ch in ',"\n'):
                s = '"' + s.replace('"', '""') + '"'
            sep = "\r\n" if i < 3999 else ""
            f.write(f"k{rnd.randint(0, 6)},{x},{y},{s}{sep}")
    files["w"] = path
    # Quotes inside unquoted fields (12" pizza, 37.8"N), which pandas' C
    # parser reads as data, next to quoted fields holding separators,
    # doubled quotes and newlines - one right after a literal quote
    # (x",","), and lines that start with a literal quote after a space.
    rnd = random.Random(11)
    path = os.path.join(work, "literal.csv")
    with open(path, "w", newline="") as f:
        f.write("id,size,lat,note,n\n")
        for i in range(300):
            size = rnd.choice(['12" pizza', '9"', 'x""y', "", "small",
                               '"quoted, ""big""\nand two lines"',
                               '"16"" pie"'])
            lat = rnd.choice(['37.8"N', '-122.4"W', "", "40.7", '1"'])
            note = rnd.choice(["plain", "", 'a"', ' "spaced"',
                               '"multi\r\nline"', 'in"side'])
            n = "" if i % 11 == 0 else str(rnd.randint(0, 9))
            if note == 'a"':
                # a literal quote, then a quoted field: a","5"
                f.write(f"{i},{size},{lat},a\",\"{n}\"\n")
                continue
            eol = "\r\n" if i % 5 == 0 else "\n"
            f.write(f"{i},{size},{lat},{note},{n}{eol}")
    files["lit"] = path
    # Columns of every type with nulls, for fillna with another kind of
    # value (pandas' object columns): an int column with nulls early and
    # late, a float column with nulls only past the scheduler's 256 KiB
    # sample, a bool and a string column with nulls, an int column without.
    rnd = random.Random(5)
    path = os.path.join(work, "fill.csv")
    with open(path, "w", newline="") as f:
        f.write("k,x,y,b,s,n\n")
        for i in range(16000):
            x = "" if i % 97 == 3 else str(rnd.randint(-9, 99))
            y = "" if i > 14000 and i % 53 == 0 else repr(rnd.randint(0, 400) / 8)
            b = "" if i % 71 == 5 else rnd.choice(["True", "False"])
            s = "" if i % 61 == 7 else rnd.choice(["red", "blue", "0", "-z"])
            f.write(f"k{rnd.randint(0, 4)},{x},{y},{b},{s},{rnd.randint(0, 99)}\n")
    files["fill"] = path
    # fill's keys to merge with: an int column with a null (read as Int64
    # or as pandas' float64), one without, one named like fill's x
    path = os.path.join(work, "fill_right.csv")
    with open(path, "w") as f:
        f.write("k,v,x,w\n")
        for i, (v, x, w) in enumerate(((3, 2, 2), (1, 1, 0), ("", 2, 3),
                                       (4, 0, 2))):
            f.write(f"k{i},{v},{x},{w}\n")
    files["fill_right"] = path
    # An int column whose name is longer than 100 bytes turns float late:
    # the widening must name the column in full (a clipped name never
    # matched, and the query failed instead of widening).
    path = os.path.join(work, "longname.csv")
    with open(path, "w") as f:
        f.write(f"k,{LONG_NAME}\n")
        for i in range(60000):  # past the scheduler's 256 KiB sample
            x = "3.5" if i == 55000 else str(rnd.randint(-50, 50))
            f.write(f"k{rnd.randint(0, 6)},{x}\n")
    files["l"] = path
    # An int column whose one null lies past the sample, and a file like
    # it without: to_csv writes pandas' float64 (5.0) for the column in
    # both once concatenated, as pandas' concat does.
    for name, null_at in (("late_null", 50000), ("no_null", None)):
        path = os.path.join(work, f"{name}.csv")
        with open(path, "w") as f:
            f.write("k,x,n\n")
            for i in range(60000):
                x = "" if i == null_at else str(rnd.randint(-50, 50))
                f.write(f"k{rnd.randint(0, 6)},{x},{i}\n")
        files[name] = path
    # 14 int columns whose one null comes past the sample: to_csv widens
    # them all in one rerun (one a rerun would exhaust the attempts)
    path = os.path.join(work, "many_late.csv")
    with open(path, "w") as f:
        f.write(",".join(f"c{i}" for i in range(14)) + "\n")
        for i in range(12000):
            f.write(",".join("" if i == 11995 else str(rnd.randint(0, 99))
                             for _ in range(14)) + "\n")
    files["many_late"] = path
    # A bool column whose one null lies past the scheduler's sample:
    # pandas' object column, which only a scan's report shows.
    path = os.path.join(work, "late_bool.csv")
    with open(path, "w") as f:
        f.write("k,b,c,n\n")
        for i in range(60000):
            b = "" if i == 55000 else rnd.choice(["True", "False"])
            c = rnd.choice(["True", "False"])
            f.write(f"k{rnd.randint(0, 4)},{b},{c},{rnd.randint(0, 9)}\n")
    files["late_bool"] = path
    # Datetimes with empty fields (NaT), and a text column holding "NaT":
    # comparing with NaT in a query string is pandas' query() answer.
    path = os.path.join(work, "nat.csv")
    with open(path, "w") as f:
        f.write("id,t,u,s\n")
        for i in range(3000):
            t = "" if i % 13 == 4 else \
                f"2021-04-{rnd.randint(1, 28):02d} {rnd.randint(0, 23):02d}:00"
            u = "" if i % 17 == 6 else \
                f"2021-04-{rnd.randint(1, 28):02d} {rnd.randint(0, 23):02d}:30"
            st = rnd.choice(["NaT", "a", "", "b"])
            f.write(f"{i},{t},{u},{st}\n")
    files["nat"] = path
    # Datetimes near both ends of pandas' range, and a timedelta of +-280
    # years: their std passes int64 nanoseconds (a frame's std is NaT).
    path = os.path.join(work, "far.csv")
    with open(path, "w") as f:
        f.write("t,w,x\n")
        for i in range(6):
            t, w = (("1680-01-01", "1960-01-01") if i % 2 else
                    ("2260-01-01", "1980-01-01"))
            f.write(f"{t},{w},{i}\n")
    files["far"] = path
    # b's fields with its columns reversed, and some of them in another
    # order with a column of their own (the same text: pandas aligns
    # concat's inputs by name, a union where their columns differ).
    for name, pick in (("b_reversed", lambda row, i: row[::-1]),
                       ("b_partial", lambda row, i: [
                           row[5], row[1], row[4],
                           "extra" if i == 0 else str(i % 9)])):
        # (not fhv_*.csv: a glob case reads those)
        path = os.path.join(work, f"concat_{name}.csv")
        with open(files["b"], newline="") as f, \
                open(path, "w", newline="") as g:
            w = csv.writer(g, lineterminator="\n")
            for i, row in enumerate(csv.reader(f)):
                w.writerow(pick(row, i))
        files[name] = path
    return files


def cases(files):
    a, b, w, l = files["a"], files["b"], files["w"], files["l"]
    A = lambda: pd.read_csv(a)
    B = lambda: pd.read_csv(b)
    W = lambda: pd.read_csv(w)
    fl = files["fill"]
    F = lambda: pd.read_csv(fl)
    late, nonull = files["late_null"], files["no_null"]
    many = files["many_late"]
    nat = files["nat"]
    far = files["far"]
    lb = files["late_bool"]
    N = lambda: pd.read_csv(nat, parse_dates=["t", "u"])
    return [
        ("groupby count",
         f'read_csv("{a}").groupby("PULocationID").count()',
         lambda: A().groupby("PULocationID").count()),
        ("fillna groupby count",
         f'read_csv("{a}").fillna(0).groupby("PULocationID").count()',
         lambda: A().fillna(0).groupby("PULocationID").count()),
        ("fillna filter head",
         f'read_csv("{a}").fillna({{"SR_Flag": 0}})'
         f'.query("PULocationID > 200").head(10)',
         lambda: A().fillna({"SR_Flag": 0}).query("PULocationID > 200")
         .head(10)),
        ("concat groupby count",
         f'concat([read_csv("{a}"), read_csv("{b}")])'
         f'.groupby("PULocationID").count()',
         lambda: pd.concat([A(), B()]).groupby("PULocationID").count()),
        ("glob groupby size",
         f'read_csv("{os.path.dirname(a)}/fhv_*.csv").groupby("DOLocationID")'
         f'.size()',
         lambda: pd.concat([A(), B()]).groupby("DOLocationID").size()),
        ("len", f'len(read_csv("{a}"))',
         lambda: pd.DataFrame({"len": [len(A())]})),
        ("len after filter",
         f'len(read_csv("{a}").query("DOLocationID < 10 or SR_Flag == 1"))',
         lambda: pd.DataFrame(
             {"len": [len(A().query("DOLocationID < 10 or SR_Flag == 1"))]})),
        ("agg sum mean",
         f'read_csv("{a}").groupby("hvfhs_license_num")'
         f'.agg({{"PULocationID": "sum", "DOLocationID": "mean"}})',
         lambda: A().groupby("hvfhs_license_num")
         .agg({"PULocationID": "sum", "DOLocationID": "mean"})),
        ("value_counts",
         f'read_csv("{a}")["dispatching_base_num"].value_counts()',
         lambda: A()["dispatching_base_num"].value_counts()),
        # ties in pandas 1.5's exact order: first appearance, then
        # numpy's unstable quicksort of the counts
        ("value_counts ties in pandas' order",
         f'read_csv("{a}")["PULocationID"].value_counts()',
         lambda: A()["PULocationID"].value_counts()),
        ("value_counts ties over concat, filtered, normalized",
         f'concat([read_csv("{b}"), read_csv("{a}")])'
         f'.query("PULocationID > 100")["DOLocationID"]'
         f'.value_counts(normalize=True)',
         lambda: pd.concat([B(), A()]).query("PULocationID > 100")
         ["DOLocationID"].value_counts(normalize=True)),
        ("value_counts of text with nulls and newlines",
         f'read_csv("{w}")["s"].value_counts(dropna=False)',
         lambda: W()["s"].value_counts(dropna=False)),
        ("value_counts(dropna=False) of a column with nulls",
         f'read_csv("{a}")["SR_Flag"].value_counts(dropna=False)',
         lambda: A()["SR_Flag"].value_counts(dropna=False)),
        # pandas' nullable arrays (dtype "Int64", "boolean"): their
        # value_counts(dropna=False) sorts the values without <NA>, appends
        # <NA> (counted 0 without a null), and sorts again; the values
        # stay ints
        ("value_counts(dropna=False) of an Int64 column with nulls",
         f'read_csv("{fl}", dtype={{"x": "Int64"}})["x"]'
         f'.value_counts(dropna=False)',
         lambda: pd.read_csv(fl, dtype={"x": "Int64"})["x"]
         .value_counts(dropna=False)),
        ("value_counts(dropna=False) of an Int64 column without a null",
         f'read_csv("{fl}", dtype={{"n": "Int64"}}).query("k == \'k1\'")'
         f'["n"].value_counts(dropna=False)',
         lambda: pd.read_csv(fl, dtype={"n": "Int64"}).query("k == 'k1'")
         ["n"].value_counts(dropna=False)),
        ("value_counts(dropna=False, normalize=True) of a boolean column",
         f'read_csv("{fl}", dtype={{"b": "boolean"}})["b"]'
         f'.value_counts(dropna=False, normalize=True)',
         lambda: pd.read_csv(fl, dtype={"b": "boolean"})["b"]
         .value_counts(dropna=False, normalize=True)),
        ("value_counts(dropna=False) of a filled Int64 column",
         f'read_csv("{fl}", dtype={{"x": "Int64"}}).fillna({{"x": 7}})["x"]'
         f'.value_counts(dropna=False)',
         lambda: pd.read_csv(fl, dtype={"x": "Int64"}).fillna({"x": 7})["x"]
         .value_counts(dropna=False)),
        ("value_counts() of an Int64 column (dropna: one sort)",
         f'read_csv("{fl}", dtype={{"x": "Int64"}})["x"].value_counts()',
         lambda: pd.read_csv(fl, dtype={"x": "Int64"})["x"].value_counts()),
        # SeriesGroupBy.value_counts, compared in order (not as sets):
        # pandas 1.5 sorts a group's values (a missing one first), then
        # stably by count, largest first
        ("groupby value counts",
         f'read_csv("{a}").groupby("hvfhs_license_num")'
         f'["dispatching_base_num"].value_counts()',
         lambda: A().groupby("hvfhs_license_num")["dispatching_base_num"]
         .value_counts()),
        ("groupby value counts of nulls, normalized",
         f'read_csv("{a}").groupby("hvfhs_license_num")["SR_Flag"]'
         f'.value_counts(dropna=False, normalize=True)',
         lambda: A().groupby("hvfhs_license_num")["SR_Flag"]
         .value_counts(dropna=False, normalize=True)),
        ("groupby(dropna=False) value counts normalized",
         f'read_csv("{a}").groupby("SR_Flag", dropna=False)'
         f'["hvfhs_license_num"].value_counts(normalize=True)',
         lambda: A().groupby("SR_Flag", dropna=False)["hvfhs_license_num"]
         .value_counts(normalize=True)),
        ("groupby two keys value counts, head",
         f'read_csv("{a}").groupby(["hvfhs_license_num", "SR_Flag"])'
         f'["PULocationID"].value_counts().head(25)',
         lambda: A().groupby(["hvfhs_license_num", "SR_Flag"])
         ["PULocationID"].value_counts().head(25)),
        ("groupby(as_index=False) value counts",
         f'read_csv("{a}").query("PULocationID < 40").groupby('
         f'"hvfhs_license_num", as_index=False)["DOLocationID"]'
         f'.value_counts()',
         lambda: A().query("PULocationID < 40").groupby(
             "hvfhs_license_num", as_index=False)["DOLocationID"]
         .value_counts()),
        ("groupby(as_index=False) value counts normalized",
         f'read_csv("{a}").groupby(["hvfhs_license_num", "SR_Flag"], '
         f'as_index=False, dropna=False)["DOLocationID"]'
         f'.value_counts(normalize=True)',
         lambda: A().groupby(["hvfhs_license_num", "SR_Flag"],
                             as_index=False, dropna=False)["DOLocationID"]
         .value_counts(normalize=True)),
        ("groupby value counts of text with newlines",
         f'read_csv("{w}").groupby("k")["s"].value_counts(dropna=False)',
         lambda: W().groupby("k")["s"].value_counts(dropna=False)),
        ("groupby(dropna=False) first and last",
         f'read_csv("{a}").groupby("SR_Flag", dropna=False)'
         f'.agg({{"PULocationID": "first", "dispatching_base_num": "last"}})',
         lambda: A().groupby("SR_Flag", dropna=False)
         .agg({"PULocationID": "first", "dispatching_base_num": "last"})),
        ("assign then groupby (derived columns)",
         f'read_csv("{a}").assign(trip="DOLocationID - PULocationID", '
         f'far="trip > 100").groupby("far").agg({{"trip": "mean"}})',
         lambda: A().assign(trip=lambda d: d.DOLocationID - d.PULocationID)
         .assign(far=lambda d: d.trip > 100).groupby("far")
         .agg({"trip": "mean"})),
        ("eval then filter head (derived columns)",
         f'read_csv("{a}").eval("r = PULocationID % 10").query("r == 3")'
         f'.head(20)',
         lambda: A().eval("r = PULocationID % 10").query("r == 3").head(20)),
        ("parse_dates hour size (datetimes)",
         f'read_csv("{a}", parse_dates=["pickup_datetime"])'
         f'.assign(hour="pickup_datetime.dt.hour").groupby("hour").size()',
         lambda: pd.read_csv(a, parse_dates=["pickup_datetime"])
         .assign(hour=lambda d: d.pickup_datetime.dt.hour)
         .groupby("hour").size()),
        ("str.contains with a regular expression, str.fullmatch",
         f'read_csv("{a}").query(\'dispatching_base_num.str.contains("^B02[5-8]") '
         f'and not hvfhs_license_num.str.fullmatch("hv000[34]", case=False)\')'
         f'.groupby("dispatching_base_num").size()',
         lambda: A()[A().dispatching_base_num.str.contains("^B02[5-8]",
                                                           na=False) &
                     ~A().hvfhs_license_num.str.fullmatch(
                         "hv000[34]", case=False, na=False)]
         .groupby("dispatching_base_num").size()),
        ("where and mask as derived columns and group keys",
         f'read_csv("{a}").assign(pu="PULocationID.where(PULocationID < 100, 0)", '
         f'sr="SR_Flag.mask(DOLocationID > 200)")'
         f'.groupby("pu").agg({{"sr": "sum", "DOLocationID": "count"}})',
         lambda: A().assign(pu=lambda d: d.PULocationID.where(
             d.PULocationID < 100, 0),
             sr=lambda d: d.SR_Flag.mask(d.DOLocationID > 200))
         .groupby("pu").agg({"sr": "sum", "DOLocationID": "count"})),
        ("trips per day and per 15 minutes (dt.normalize, dt.floor)",
         f'read_csv("{a}", parse_dates=["pickup_datetime"])'
         f'.assign(day="pickup_datetime.dt.normalize()", '
         f'q="pickup_datetime.dt.floor(\'15min\')")'
         f'.groupby(["day", "q"]).size()',
         lambda: pd.read_csv(a, parse_dates=["pickup_datetime"])
         .assign(day=lambda d: d.pickup_datetime.dt.normalize(),
                 q=lambda d: d.pickup_datetime.dt.floor("15min"))
         .groupby(["day", "q"]).size()),
        ("trip seconds mean and date filter (datetimes)",
         f'read_csv("{a}", parse_dates=["pickup_datetime", '
         f'"dropoff_datetime"]).query("pickup_datetime >= \'2021-04-15\'")'
         f'.assign(secs="(dropoff_datetime - pickup_datetime)'
         f'.dt.total_seconds()").groupby("hvfhs_license_num")'
         f'.agg({{"secs": "mean", "pickup_datetime": "min"}})',
         lambda: pd.read_csv(a, parse_dates=["pickup_datetime",
                                             "dropoff_datetime"])
         .query("pickup_datetime >= '2021-04-15'")
         .assign(secs=lambda d: (d.dropoff_datetime - d.pickup_datetime)
                 .dt.total_seconds())
         .groupby("hvfhs_license_num")
         .agg({"secs": "mean", "pickup_datetime": "min"})),
        ("datetime and timedelta literals (partial date, to_datetime, "
         "to_timedelta, timedelta by a number)",
         f'read_csv("{a}", parse_dates=["pickup_datetime", '
         f'"dropoff_datetime"]).query("pickup_datetime >= \'2021-04\' and '
         f'(dropoff_datetime - pickup_datetime) > \'5min\'")'
         f'.assign(since="pickup_datetime - to_datetime(\'2021-04-15 '
         f'06:00\')", late="dropoff_datetime + to_timedelta(\'1h30m\')", '
         f'half="(dropoff_datetime - pickup_datetime) / 2")'
         f'[["since", "late", "half"]].head(40)',
         lambda: pd.read_csv(a, parse_dates=["pickup_datetime",
                                             "dropoff_datetime"])
         .pipe(lambda d: d[(d.pickup_datetime >= "2021-04") &
                           (d.dropoff_datetime - d.pickup_datetime >
                            "5min")])
         .assign(since=lambda d: d.pickup_datetime -
                 pd.Timestamp("2021-04-15 06:00"),
                 late=lambda d: d.dropoff_datetime + pd.Timedelta("1h30m"),
                 half=lambda d: (d.dropoff_datetime - d.pickup_datetime) / 2)
         [["since", "late", "half"]].head(40)),
        # NaT in a query string, as pandas 1.5's query() and eval()
        # answer it: == is isnull, != notnull, an order false; a text
        # column compares the text "NaT"
        ("query == 'NaT' and != '' (datetimes)",
         f'read_csv("{nat}", parse_dates=["t", "u"])'
         f'.query("t == \'NaT\' or (u != \'\' and id % 5 == 0)")',
         lambda: N().query("t == 'NaT' or (u != '' and id % 5 == 0)",
                           engine="python")),
        ("query timedelta against NaT, text 'NaT'",
         f'read_csv("{nat}", parse_dates=["t", "u"])'
         f'.query("(u - t) > \'NaT\' or ((u - t) == \'nat\' and '
         f's == \'NaT\')")',
         lambda: N().query("(u - t) > 'NaT' or ((u - t) == 'nat' and "
                           "s == 'NaT')", engine="python")),
        ("eval of NaT comparisons, grouped",
         f'read_csv("{nat}", parse_dates=["t", "u"])'
         f'.eval("x = t != \'NaT\'").eval("y = (u - t) == \'\'")'
         f'.groupby(["x", "y"]).size()',
         lambda: N().eval("x = t != 'NaT'").eval("y = (u - t) == ''")
         .groupby(["x", "y"]).size()),
        # date literals in dateutil's spellings, as pandas' Timestamp
        # reads them (month first)
        ("date literals: month names, M/D/YYYY, AM/PM",
         f'read_csv("{a}", parse_dates=["pickup_datetime"])'
         f'.query("pickup_datetime >= \'Feb 15, 2021 6:00 PM\' and '
         f'pickup_datetime < \'02/20/2021\'").assign(since='
         f'"pickup_datetime - to_datetime(\'2021/02/15 18:00:00.5\')")'
         f'.groupby("hvfhs_license_num").agg({{"since": "max"}})',
         lambda: pd.read_csv(a, parse_dates=["pickup_datetime"])
         .query("pickup_datetime >= 'Feb 15, 2021 6:00 PM' and "
                "pickup_datetime < '02/20/2021'")
         .assign(since=lambda d: d.pickup_datetime -
                 pd.Timestamp("2021/02/15 18:00:00.5"))
         .groupby("hvfhs_license_num").agg({"since": "max"})),
        ("groupby std var",
         f'read_csv("{a}").groupby("hvfhs_license_num")'
         f'.agg({{"PULocationID": "std", "DOLocationID": "var"}})',
         lambda: A().groupby("hvfhs_license_num")
         .agg({"PULocationID": "std", "DOLocationID": "var"})),
        ("whole-frame sum (reduction)",
         f'read_csv("{a}").sum()',
         # the CLI writes df.sum() as one row, each column its own dtype;
         # pandas 1.5 concatenates the strings of a text column without
         # a missing value, in file order, and leaves one with a missing
         # value out
         lambda: pd.DataFrame([nuisance_dropped(A().sum)])),
        ("whole-frame sum of text columns after a filter",
         f'read_csv("{a}").query("PULocationID < 40")[["hvfhs_license_num", '
         f'"SR_Flag", "dispatching_base_num", "PULocationID"]].sum()',
         lambda: pd.DataFrame([nuisance_dropped(
             A().query("PULocationID < 40")[[
                 "hvfhs_license_num", "SR_Flag", "dispatching_base_num",
                 "PULocationID"]].sum)])),
        # a whole frame's sum, mean and median take timedelta columns
        # (pandas' Timedeltas; datetimes and text left out)
        ("whole-frame sum with a timedelta column",
         f'read_csv("{nat}", parse_dates=["t", "u"]).assign(d="u - t")'
         f'.query("id % 7 != 3").sum()',
         lambda: N().assign(d=lambda x: x.u - x.t).query("id % 7 != 3")
         [["id", "d"]].agg(["sum"]).reset_index(drop=True)),
        ("whole-frame mean with a timedelta column",
         f'read_csv("{nat}", parse_dates=["t", "u"]).assign(d="u - t")'
         f'.mean()',
         lambda: N().assign(d=lambda x: x.u - x.t)
         [["id", "d"]].agg(["mean"]).reset_index(drop=True)),
        ("whole-frame median with a timedelta column",
         f'read_csv("{nat}", parse_dates=["t", "u"]).assign(d="u - t")'
         f'.median()',
         lambda: (lambda x: pd.DataFrame(
             {"id": [x.id.median()], "d": [x.d.median()]}, index=[0.5]))(
             N().assign(d=lambda x: x.u - x.t))),
        # a bool column with a null in its file is pandas' object
        # column: every column's groupby sum / mean leaves it out (a
        # named mean is a float, as pandas gives)
        ("groupby every-column sum leaves a bool with nulls out",
         f'read_csv("{fl}")[["k", "x", "b", "n"]].groupby("k").sum()',
         lambda: F()[["k", "x", "b", "n"]].groupby("k").sum()),
        ("groupby sum leaves out a bool whose null is past the sample",
         f'read_csv("{lb}").query("n > 2").groupby("k").sum()',
         lambda: pd.read_csv(lb).query("n > 2").groupby("k").sum()),
        ("groupby mean of a bool with a late null, named and every column",
         f'read_csv("{lb}").groupby("k").agg({{"b": "mean", "c": "sum"}})',
         lambda: pd.read_csv(lb).groupby("k")
         .agg({"b": "mean", "c": "sum"})),
        ("groupby median of bools (with a late null: left out)",
         f'read_csv("{lb}").groupby("k").median()',
         lambda: pd.read_csv(lb).groupby("k").median()),
        ("groupby median and quantile of bools, named",
         f'read_csv("{lb}").groupby("k").agg({{"b": "median", '
         f'"c": "median"}})',
         lambda: pd.read_csv(lb).groupby("k")
         .agg({"b": "median", "c": "median"})),
        ("groupby quantile of a bool column",
         f'read_csv("{lb}").query("n < 3").groupby("k")["c"].quantile(0.3)',
         lambda: pd.read_csv(lb).query("n < 3").groupby("k")["c"]
         .quantile(0.3)),
        ("groupby std leaves out a bool with a late null",
         f'read_csv("{lb}").groupby("k").std()',
         lambda: pd.read_csv(lb).groupby("k").std()),
        ("column std after a filter (reduction)",
         f'read_csv("{a}").query("PULocationID > 100")["DOLocationID"].std()',
         lambda: pd.DataFrame({"DOLocationID": [
             A().query("PULocationID > 100")["DOLocationID"].std()]})),
        ("size sorted top 10 (post steps)",
         f'read_csv("{a}").groupby("PULocationID").size()'
         f'.sort_values(ascending=False).head(10)',
         lambda: A().groupby("PULocationID").size()
         .sort_values(ascending=False).head(10)),
        ("size sorted ascending, ties in numpy's quicksort order",
         f'read_csv("{a}").groupby("DOLocationID").size().sort_values()',
         lambda: A().groupby("DOLocationID").size().sort_values()),
        ("whole frame sorted by one column (gathered, quicksort ties)",
         f'read_csv("{a}").query("PULocationID < 60")'
         f'[["PULocationID", "DOLocationID", "SR_Flag"]]'
         f'.sort_values("DOLocationID", ascending=False)',
         lambda: A().query("PULocationID < 60")
         [["PULocationID", "DOLocationID", "SR_Flag"]]
         .sort_values("DOLocationID", ascending=False)),
        ("whole frame sorted by two columns, then tail",
         f'read_csv("{a}")[["PULocationID", "DOLocationID"]]'
         f'.sort_values(["PULocationID", "DOLocationID"], '
         f'ascending=[True, False]).tail(12)',
         lambda: A()[["PULocationID", "DOLocationID"]]
         .sort_values(["PULocationID", "DOLocationID"],
                      ascending=[True, False]).tail(12)),
        ("agg nlargest and tail (post steps)",
         f'read_csv("{a}").groupby("DOLocationID").agg({{"SR_Flag": "sum", '
         f'"PULocationID": "mean"}}).nlargest(20, ["SR_Flag"]).tail(5)',
         lambda: A().groupby("DOLocationID").agg(
             {"SR_Flag": "sum", "PULocationID": "mean"})
         .nlargest(20, ["SR_Flag"]).tail(5)),
        ("filter, assign, rename and reset_index of a result (post steps)",
         f'read_csv("{a}").groupby("DOLocationID").agg({{"SR_Flag": "sum", '
         f'"PULocationID": "mean"}}).query("SR_Flag > 2 and DOLocationID < '
         f'150").assign(r="PULocationID / SR_Flag", k="DOLocationID % 7")'
         f'.rename(columns={{"SR_Flag": "flags"}}).reset_index()',
         lambda: A().groupby("DOLocationID").agg(
             {"SR_Flag": "sum", "PULocationID": "mean"})
         .query("SR_Flag > 2 and DOLocationID < 150")
         .assign(r=lambda d: d.PULocationID / d.SR_Flag,
                 k=lambda d: d.index % 7)
         .rename(columns={"SR_Flag": "flags"}).reset_index()),
        ("as_index=False size sorted (post steps)",
         f'read_csv("{a}").groupby("PULocationID", as_index=False).size()'
         f'.sort_values("size", ascending=False).head(7)',
         lambda: A().groupby("PULocationID", as_index=False).size()
         .sort_values("size", ascending=False).head(7)),
        ("top 10 reset_index name and column selection (post steps)",
         f'read_csv("{a}").groupby("PULocationID").size()'
         f'.sort_values(ascending=False).head(10).reset_index(name="trips")'
         f'[["trips"]]',
         lambda: A().groupby("PULocationID").size()
         .sort_values(ascending=False).head(10)
         .reset_index(name="trips")[["trips"]]),
        ("value_counts normalize",
         f'read_csv("{a}")["hvfhs_license_num"].value_counts(normalize=True)',
         lambda: A()["hvfhs_license_num"].value_counts(normalize=True)),
        ("value_counts normalize dropna=False",
         f'read_csv("{a}")["SR_Flag"].value_counts(normalize=True, '
         f'dropna=False)',
         lambda: A()["SR_Flag"].value_counts(normalize=True, dropna=False)),
        ("value_counts reset_index",
         f'read_csv("{a}")["SR_Flag"].value_counts(dropna=False)'
         f'.reset_index()',
         lambda: A()["SR_Flag"].value_counts(dropna=False).reset_index()),
        ("unique of a column",
         f'read_csv("{a}")["dispatching_base_num"].unique()',
         lambda: pd.DataFrame({"dispatching_base_num":
                               A()["dispatching_base_num"].unique()})),
        ("dropna subset then groupby",
         f'read_csv("{a}").dropna(subset=["SR_Flag"]).groupby("PULocationID")'
         f'.size()',
         lambda: A().dropna(subset=["SR_Flag"]).groupby("PULocationID")
         .size()),
        ("dropna of every column and how=all",
         f'read_csv("{a}").dropna().head(20)',
         lambda: A().dropna().head(20)),
        ("dropna how=all",
         f'read_csv("{a}").dropna(how="all", subset=["SR_Flag", '
         f'"DOLocationID"]).tail(5)',
         lambda: A().dropna(how="all", subset=["SR_Flag", "DOLocationID"])
         .tail(5)),
        ("rename a frame's columns then group",
         f'read_csv("{a}").rename(columns={{"PULocationID": "pu", '
         f'"SR_Flag": "flag"}}).groupby("pu")["flag"].sum()',
         lambda: A().rename(columns={"PULocationID": "pu", "SR_Flag": "flag"})
         .groupby("pu")["flag"].sum()),
        ("rename a frame's columns, rows keep their places",
         f'read_csv("{a}").rename(columns={{"DOLocationID": "do"}}).head(8)',
         lambda: A().rename(columns={"DOLocationID": "do"}).head(8)),
        ("rename and dropna across a widening column",
         f'read_csv("{w}").dropna(subset=["y"]).rename(columns={{"x": "xx"}})'
         f'.groupby("k")["xx"].sum()',
         lambda: W().dropna(subset=["y"]).rename(columns={"x": "xx"})
         .groupby("k")["xx"].sum()),
        ("describe of a text column with a quoted top value",
         f'read_csv("{w}")["s"].describe()',
         lambda: W()["s"].describe()),
        ("describe of a filtered text column",
         f'read_csv("{a}").query("PULocationID > 100")["hvfhs_license_num"]'
         f'.describe()',
         lambda: A().query("PULocationID > 100")["hvfhs_license_num"]
         .describe()),
        ("describe of a bool column and of nothing",
         f'read_csv("{a}").assign(b="PULocationID > 100")["b"].describe()',
         lambda: (A().PULocationID > 100).rename("b").describe()),
        ("describe of no text rows",
         f'read_csv("{a}").query("PULocationID < 0")["hvfhs_license_num"]'
         f'.describe()',
         lambda: A().query("PULocationID < 0")["hvfhs_license_num"]
         .describe()),
        ("rename that swaps and chains names",
         f'read_csv("{a}").rename(columns={{"PULocationID": "DOLocationID", '
         f'"DOLocationID": "SR_Flag", "SR_Flag": "PULocationID"}})'
         f'.groupby("SR_Flag")["PULocationID"].sum()',
         lambda: A().rename(columns={"PULocationID": "DOLocationID",
                                     "DOLocationID": "SR_Flag",
                                     "SR_Flag": "PULocationID"})
         .groupby("SR_Flag")["PULocationID"].sum()),
        ("agg size of a named column, as_index=False",
         f'read_csv("{a}").groupby("PULocationID", as_index=False)'
         f'.agg({{"DOLocationID": "size", "SR_Flag": "count"}})',
         lambda: A().groupby("PULocationID", as_index=False)
         .agg({"DOLocationID": "size", "SR_Flag": "count"})),
        # size() counts rows: named after a Series selection's column,
        # unnamed after a list selection, "size" with as_index=False
        *[(f"size naming {sel!r} as_index={ai}",
           f'read_csv("{a}").groupby("PULocationID", as_index={ai})'
           f'{sel}',
           (lambda sel=sel, ai=ai:
            eval(f'A().groupby("PULocationID", as_index={ai}){sel}',
                 {"A": A})))
          for sel in ('.agg("size")', '[["SR_Flag"]].size()',
                      '[["SR_Flag", "DOLocationID"]].size()',
                      '["SR_Flag"].size()', '["SR_Flag"].agg("size")',
                      '[["SR_Flag", "DOLocationID"]].agg("size")')
          for ai in (True, False)],
        ("agg with a dict of lists (two-level columns)",
         f'read_csv("{a}").groupby("hvfhs_license_num").agg('
         f'{{"PULocationID": ["sum", "count"], "SR_Flag": "max"}})',
         lambda: A().groupby("hvfhs_license_num").agg(
             {"PULocationID": ["sum", "count"], "SR_Flag": "max"})),
        ("agg list of a column",
         f'read_csv("{a}").groupby("DOLocationID")["PULocationID"]'
         f'.agg(["sum", "mean", "std"])',
         lambda: A().groupby("DOLocationID")["PULocationID"]
         .agg(["sum", "mean", "std"])),
        ("agg list of selected columns",
         f'read_csv("{a}").groupby("hvfhs_license_num")[["PULocationID", '
         f'"SR_Flag"]].agg(["sum", "mean"])',
         lambda: A().groupby("hvfhs_license_num")[["PULocationID", "SR_Flag"]]
         .agg(["sum", "mean"])),
        # a text column with nulls: pandas leaves it out of min / max of
        # every column (comparing text with NaN fails)
        ("groupby min of every column, text with nulls",
         f'read_csv("{fl}").groupby("k").min()',
         lambda: F().groupby("k").min()),
        ("whole-frame max, text with nulls",
         f'read_csv("{fl}").max()',
         lambda: F().max().to_frame().T.infer_objects()),
        ("agg list with size, every column",
         f'read_csv("{a}").groupby("hvfhs_license_num")'
         f'.agg(["size", "count"])',
         lambda: A().groupby("hvfhs_license_num").agg(["size", "count"])),
        ("agg list of every column",
         f'read_csv("{a}").groupby("hvfhs_license_num").agg(["min", "max"])',
         lambda: A().groupby("hvfhs_license_num").agg(["min", "max"])),
        ("named aggregation, sorted (post steps)",
         f'read_csv("{a}").groupby("PULocationID").agg(total=("DOLocationID", '
         f'"sum"), n=("SR_Flag", "count"), last=("hvfhs_license_num", '
         f'"last")).sort_values("total", ascending=False).head(8)',
         lambda: A().groupby("PULocationID").agg(
             total=("DOLocationID", "sum"), n=("SR_Flag", "count"),
             last=("hvfhs_license_num", "last"))
         .sort_values("total", ascending=False).head(8)),
        ("named aggregation of a column",
         f'read_csv("{a}").groupby("hvfhs_license_num")["DOLocationID"]'
         f'.agg(lo="min", hi="max")',
         lambda: A().groupby("hvfhs_license_num")["DOLocationID"]
         .agg(lo="min", hi="max")),
        ("isin and in in a query",
         f'read_csv("{a}").query("PULocationID.isin([1, 2, 3]) or '
         f'DOLocationID in [4, 5]").head(20)',
         lambda: A().query("PULocationID.isin([1, 2, 3]) or "
                           "DOLocationID in [4, 5]").head(20)),
        ("a filter on head's rows (post steps)",
         f'read_csv("{a}").head(50).query("PULocationID > 100")',
         lambda: A().head(50).query("PULocationID > 100")),
        ("filter and groupby count",
         f'read_csv("{a}").query("PULocationID > 200 and SR_Flag == 1")'
         f'.groupby("hvfhs_license_num").count()',
         lambda: A().query("PULocationID > 200 and SR_Flag == 1")
         .groupby("hvfhs_license_num").count()),
        ("two keys size",
         f'read_csv("{a}").groupby(["hvfhs_license_num", '
         f'"dispatching_base_num"]).size()',
         lambda: A().groupby(["hvfhs_license_num", "dispatching_base_num"])
         .size()),
        ("nunique",
         f'read_csv("{a}").groupby("hvfhs_license_num")["DOLocationID"]'
         f'.nunique()',
         lambda: A().groupby("hvfhs_license_num")["DOLocationID"].nunique()
         .to_frame()),
        ("min max",
         f'read_csv("{a}").groupby("hvfhs_license_num")'
         f'.agg({{"PULocationID": "min", "DOLocationID": "max", '
         f'"pickup_datetime": "min"}})',
         lambda: A().groupby("hvfhs_license_num")
         .agg({"PULocationID": "min", "DOLocationID": "max",
               "pickup_datetime": "min"})),
        ("describe (exact percentiles)", f'read_csv("{a}").describe()',
         lambda: A().describe()),
        ("quantiles of every number column",
         f'read_csv("{a}").quantile([0, 0.1, 0.25, 0.5, 0.9, 0.999, 1])',
         lambda: A().quantile([0, 0.1, 0.25, 0.5, 0.9, 0.999, 1])),
        ("median of a filtered column",
         f'read_csv("{a}").query("SR_Flag == 1")["DOLocationID"].median()',
         lambda: A().query("SR_Flag == 1")[["DOLocationID"]].quantile([0.5])),
        ("floor division and powers (derived columns)",
         f'read_csv("{a}").assign(q="PULocationID // 10", '
         f'p="DOLocationID ** 2").groupby("q").agg({{"p": "sum"}})',
         lambda: A().assign(q=lambda d: d.PULocationID // 10,
                            p=lambda d: d.DOLocationID ** 2)
         .groupby("q").agg({"p": "sum"})),
        ("str methods in a query",
         f'read_csv("{a}").query("dispatching_base_num.str.startswith(\'B02\') '
         f'and hvfhs_license_num.str.contains(\'0004\')")'
         f'.groupby("PULocationID").size()',
         lambda: A()[A().dispatching_base_num.str.startswith("B02", na=False)
                     & A().hvfhs_license_num.str.contains("0004", na=False)]
         .groupby("PULocationID").size()),
        ("drop_duplicates of two columns",
         f'read_csv("{a}").drop_duplicates(["PULocationID", "DOLocationID"])',
         lambda: A().drop_duplicates(["PULocationID", "DOLocationID"])),
        ("nlargest of the whole frame (top-k)",
         f'read_csv("{a}").nlargest(12, "DOLocationID")',
         lambda: A().nlargest(12, "DOLocationID")),
        ("sort_values head of the whole frame (top-k)",
         f'read_csv("{a}").query("SR_Flag == 1")'
         f'.sort_values(["PULocationID", "DOLocationID"], '
         f'ascending=[False, True]).head(15)',
         lambda: A().query("SR_Flag == 1")
         .sort_values(["PULocationID", "DOLocationID"],
                      ascending=[False, True], kind="stable").head(15)),
        ("tail of the whole frame",
         f'read_csv("{a}").tail(9)', lambda: A().tail(9)),
        ("datetime quantiles",
         f'read_csv("{a}", parse_dates=["pickup_datetime"])'
         f'["pickup_datetime"].quantile(q=[0.33, 0.5, 0.66])',
         lambda: pd.read_csv(a, parse_dates=["pickup_datetime"])
         [["pickup_datetime"]]
         .quantile([0.33, 0.5, 0.66], numeric_only=False)),
        ("timedelta quantiles",
         f'read_csv("{a}", parse_dates=["pickup_datetime", '
         f'"dropoff_datetime"]).assign(d="dropoff_datetime - '
         f'pickup_datetime")["d"].quantile([0.1, 0.5, 0.95])',
         lambda: pd.read_csv(a, parse_dates=["pickup_datetime",
                                             "dropoff_datetime"])
         .assign(d=lambda x: x.dropoff_datetime - x.pickup_datetime)
         [["d"]].quantile([0.1, 0.5, 0.95], numeric_only=False)),
        # describe of a timedelta: pandas' object column, the count an
        # int and the rest Timedeltas to the nanosecond; beside number
        # columns (datetimes left out), with NaT, all NaT
        ("describe of a trip duration (timedelta)",
         f'read_csv("{a}", parse_dates=["pickup_datetime", '
         f'"dropoff_datetime"]).assign(d="dropoff_datetime - '
         f'pickup_datetime")["d"].describe()',
         lambda: pd.read_csv(a, parse_dates=["pickup_datetime",
                                             "dropoff_datetime"])
         .assign(d=lambda x: x.dropoff_datetime - x.pickup_datetime)
         ["d"].describe()),
        ("describe of numbers and a timedelta",
         f'read_csv("{a}", parse_dates=["pickup_datetime", '
         f'"dropoff_datetime"]).assign(d="dropoff_datetime - '
         f'pickup_datetime").describe()',
         lambda: pd.read_csv(a, parse_dates=["pickup_datetime",
                                             "dropoff_datetime"])
         .assign(d=lambda x: x.dropoff_datetime - x.pickup_datetime)
         .describe()),
        ("describe of timedeltas with NaT",
         f'read_csv("{nat}", parse_dates=["t", "u"]).assign(d="u - t")'
         f'.describe()',
         lambda: N().assign(d=lambda x: x.u - x.t)
         .describe()),
        ("describe of an all-NaT timedelta",
         f'read_csv("{nat}", parse_dates=["t", "u"]).assign(d="u - t")'
         f'.query("t.isnull()")[["id", "d"]].describe()',
         lambda: N().assign(d=lambda x: x.u - x.t)
         .query("t.isnull()")[["id", "d"]].describe()),
        # std of datetimes and timedeltas: pandas' Timedeltas
        ("whole-frame std with datetime and timedelta columns",
         f'read_csv("{nat}", parse_dates=["t", "u"]).assign(d="u - t")'
         f'.std()',
         lambda: N().assign(d=lambda x: x.u - x.t)
         [["id", "t", "u", "d"]].agg(["std"]).reset_index(drop=True)),
        ("whole-frame std past int64 nanoseconds: NaT",
         f'read_csv("{far}", parse_dates=["t", "w"]).assign(e="t - w")'
         f'.std()',
         lambda: pd.DataFrame([quiet_cast(
             lambda: pd.read_csv(far, parse_dates=["t", "w"])
             .assign(e=lambda x: x.t - x.w).std())])),
        ("std of a trip duration (timedelta)",
         f'read_csv("{a}", parse_dates=["pickup_datetime", '
         f'"dropoff_datetime"]).assign(d="dropoff_datetime - '
         f'pickup_datetime")["d"].std()',
         lambda: pd.DataFrame({"d": [
             pd.read_csv(a, parse_dates=["pickup_datetime",
                                         "dropoff_datetime"])
             .pipe(lambda x: x.dropoff_datetime - x.pickup_datetime)
             .std()]})),
        ("select head",
         f'read_csv("{a}")[["PULocationID", "DOLocationID"]].head(7)',
         lambda: A()[["PULocationID", "DOLocationID"]].head(7)),
        ("isnull filter head",
         f'read_csv("{a}").query("PULocationID.isnull()").head(5)',
         lambda: A()[A()["PULocationID"].isnull()].head(5)),
        ("quoted newlines head",
         f'read_csv("{a}").query("SR_Flag == 1").head(60)',
         lambda: A().query("SR_Flag == 1").head(60)),
        ("arith filter count",
         f'len(read_csv("{a}").query("(PULocationID + DOLocationID) % 7 == 3"))',
         lambda: pd.DataFrame({"len": [len(A().query(
             "(PULocationID + DOLocationID) % 7 == 3"))]})),
        ("widening sum",
         f'read_csv("{w}").groupby("k").agg({{"x": "sum", "y": "count"}})',
         lambda: W().groupby("k").agg({"x": "sum", "y": "count"})),
        ("widened strings head",
         f'read_csv("{w}").query("k == \\"k3\\"").head(25)',
         lambda: W().query('k == "k3"').head(25)),
        ("string column count",
         f'read_csv("{w}").groupby("s").count()',
         lambda: W().groupby("s").count()),
        ("fillna string head",
         f'read_csv("{fl}").fillna("N").head(30)',
         lambda: F().fillna("N").head(30)),
        ("fillna string groupby count",
         f'read_csv("{fl}").fillna("N").groupby("k").count()',
         lambda: F().fillna("N").groupby("k").count()),
        ("fillna string filter head",
         f'read_csv("{fl}").fillna("N").query(\'k == "k1"\').head(25)',
         lambda: F().fillna("N").query('k == "k1"').head(25)),
        ("fillna column string late nulls",
         f'read_csv("{fl}").fillna({{"y": "N"}}).query("n > 90")'
         f'.groupby("k").count()',
         lambda: F().fillna({"y": "N"}).query("n > 90").groupby("k")
         .count()),
        ("fillna 0 head",
         f'read_csv("{fl}").fillna(0).head(30)',
         lambda: F().fillna(0).head(30)),
        ("fillna 0 groupby count",
         f'read_csv("{fl}").fillna(0).groupby("k").count()',
         lambda: F().fillna(0).groupby("k").count()),
        ("fillna string groupby min",
         f'read_csv("{fl}").fillna("N").groupby("k").min()',
         lambda: F().fillna("N").groupby("k").min()),
        ("filter then fillna string",
         f'read_csv("{fl}").query("x > 50").fillna("N").groupby("k").size()',
         lambda: F().query("x > 50").fillna("N").groupby("k").size()),
        ("fillna bool head",
         f'read_csv("{fl}").fillna(True).head(30)',
         lambda: F().fillna(True).head(30)),
        ("fillna string to_csv",
         f'read_csv("{fl}").fillna("N")' + '.to_csv("{outdir}")',
         lambda: F().fillna("N")),
        ("widening a column with a long name",
         f'read_csv("{l}").groupby("k").agg({{"{LONG_NAME}": "sum"}})',
         lambda: pd.read_csv(l).groupby("k").agg({LONG_NAME: "sum"})),
        ("to_csv of a filter",
         f'read_csv("{a}").query("SR_Flag == 1")' + '.to_csv("{outdir}")',
         lambda: A().query("SR_Flag == 1")),
        # the rows round reads no range that keeps no row: the key
        # round's nulls (x's one null, past the sample) still make x
        # pandas' float64
        ("drop_duplicates keeping early rows, a null far later",
         f'read_csv("{late}").drop_duplicates(["k"])',
         lambda: pd.read_csv(late).drop_duplicates(["k"])),
        ("drop_duplicates keeping early rows, a float far later",
         f'read_csv("{l}").drop_duplicates(["k"])',
         lambda: pd.read_csv(l).drop_duplicates(["k"])),
        ("parse_dates of a column that holds no date-times stays text",
         f'read_csv("{a}", parse_dates=["PULocationID"])'
         f'.query("PULocationID == \'52\'")',
         lambda: pd.read_csv(a, parse_dates=["PULocationID"])
         .query("PULocationID == '52'")),
        ("to_csv of a column typed Int64 with a null past the sample",
         f'read_csv("{late}", dtype={{"x": "Int64"}}).to_csv("{{outdir}}")',
         lambda: pd.read_csv(late, dtype={"x": "Int64"})),
        ("to_csv of 14 int columns with a null past the sample",
         f'read_csv("{many}").to_csv("{{outdir}}")',
         lambda: pd.read_csv(many)),
        ("to_csv of an int column with nulls in the sample",
         f'read_csv("{fl}").to_csv("{{outdir}}")', F),
        ("to_csv of an int column with nulls, filled",
         f'read_csv("{fl}").fillna(0).to_csv("{{outdir}}")',
         lambda: F().fillna(0)),
        ("to_csv of an int column with a null past the sample",
         f'read_csv("{late}").query("n % 7 == 1").to_csv("{{outdir}}")',
         lambda: pd.read_csv(late).query("n % 7 == 1")),
        ("concat of a file with its columns in another order",
         f'concat([read_csv("{a}"), read_csv("{files["b_reversed"]}")])'
         f'.query("PULocationID > 250")',
         lambda: pd.concat([A(), pd.read_csv(files["b_reversed"])])
         .query("PULocationID > 250")),
        ("to_csv of a concat of files with other columns",
         f'concat([read_csv("{a}"), read_csv("{files["b_partial"]}")])'
         f'.to_csv("{{outdir}}")',
         lambda: pd.concat([A(), pd.read_csv(files["b_partial"])])),
        ("to_csv of a concat, one int column with a null",
         f'concat([read_csv("{nonull}"), read_csv("{late}")])'
         f'.assign(y="x * 2").to_csv("{{outdir}}")',
         lambda: pd.concat([pd.read_csv(nonull), pd.read_csv(late)])
         .assign(y=lambda d: d.x * 2)),
    ]


def literal_cases(files):
    """Cases run once each, at partition sizes of a few bytes written into
    the query (so the runner's --blocksize does not change them): every
    range but the first guesses its quote state, many guess wrong."""
    lit = files["lit"]
    L = lambda: pd.read_csv(lit)
    out = []
    for bs in (13, 61, 500):
        r = f'read_csv("{lit}", blocksize={bs})'
        out += [
            (f"literal quotes len [{bs} B ranges]", f"len({r})",
             lambda: pd.DataFrame({"len": [len(L())]})),
            (f"literal quotes groupby count [{bs} B ranges]",
             f'{r}.groupby("size").count()',
             lambda: L().groupby("size").count()),
            (f"literal quotes value_counts [{bs} B ranges]",
             f'{r}["lat"].value_counts()',
             lambda: L()["lat"].value_counts()),
            (f"literal quotes filter head [{bs} B ranges]",
             f'{r}.query("n > 6").head(40)',
             lambda: L().query("n > 6").head(40)),
            (f"literal quotes to_csv [{bs} B ranges]",
             f'{r}.query("n < 3")' + '.to_csv("{outdir}")',
             lambda: L().query("n < 3")),
        ]
    return out


def print_cases(files):
    """Cases whose table output (the CLI's default) must equal pandas'
    print() of the result byte for byte (printed_text), run once: an
    object column of Timedeltas prints each value on its own, NaT for a
    missing one; a Series prints as print(series) does (its index names
    line, the Name/Length/dtype footer, the "..." of more than 60 rows), a
    scalar as print(scalar), a whole frame's reduction as the Series
    pandas makes of it (one dtype for all its values)."""
    a, nat, fl = files["a"], files["nat"], files["fill"]
    lit, lb, fr = files["lit"], files["late_bool"], files["fill_right"]
    RI = f'read_csv("{fl}", dtype={{"x": "Int64", "b": "boolean"}})'
    PI = lambda: pd.read_csv(fl, dtype={"x": "Int64", "b": "boolean"})
    A = lambda: pd.read_csv(a)
    LI = lambda: pd.read_csv(lit)
    N = lambda: pd.read_csv(nat, parse_dates=["t", "u"])
    FL = lambda: pd.read_csv(fl)
    RN = f'read_csv("{nat}", parse_dates=["t", "u"])'
    dates = '", "'.join(["pickup_datetime", "dropoff_datetime"])
    return [
        ("print: describe of a trip duration",
         f'read_csv("{a}", parse_dates=["{dates}"]).assign(d='
         f'"dropoff_datetime - pickup_datetime")["d"].describe()',
         lambda: pd.read_csv(a, parse_dates=["pickup_datetime",
                                             "dropoff_datetime"])
         .assign(d=lambda x: x.dropoff_datetime - x.pickup_datetime)
         ["d"].describe()),
        # Series: unnamed index and name (value_counts), a named index
        # and no name (size()), more than 60 rows ("..." and Length),
        # floats, a MultiIndex truncated, nulls in keys and values
        ("print: value_counts", f'read_csv("{a}")["hvfhs_license_num"]'
         '.value_counts()', lambda: A()["hvfhs_license_num"].value_counts()),
        ("print: value_counts of 265 values (truncated)",
         f'read_csv("{a}")["PULocationID"].value_counts()',
         lambda: A()["PULocationID"].value_counts()),
        ("print: value_counts(normalize=True), floats truncated",
         f'read_csv("{a}")["DOLocationID"].value_counts(normalize=True)',
         lambda: A()["DOLocationID"].value_counts(normalize=True)),
        ("print: groupby size", f'read_csv("{a}").groupby('
         '"hvfhs_license_num").size()',
         lambda: A().groupby("hvfhs_license_num").size()),
        ("print: groupby column sum", f'read_csv("{a}").groupby('
         '"hvfhs_license_num")["PULocationID"].sum()',
         lambda: A().groupby("hvfhs_license_num")["PULocationID"].sum()),
        ("print: groupby column mean, floats with NaN",
         f'read_csv("{fl}").groupby("s", dropna=False)["x"].mean()',
         lambda: FL().groupby("s", dropna=False)["x"].mean()),
        ("print: two keys' size, a MultiIndex truncated",
         f'read_csv("{a}").groupby(["PULocationID", "hvfhs_license_num"])'
         '.size()',
         lambda: A().groupby(["PULocationID", "hvfhs_license_num"]).size()),
        ("print: size sorted, head", f'read_csv("{a}").groupby('
         '"PULocationID").size().sort_values(ascending=False).head(10)',
         lambda: A().groupby("PULocationID").size()
         .sort_values(ascending=False).head(10)),
        ("print: datetimes by group, NaT", f'{RN}.groupby("s", '
         'dropna=False)["t"].max()',
         lambda: N().groupby("s", dropna=False)["t"].max()),
        ("print: quantiles of a column", f'read_csv("{a}")["PULocationID"]'
         '.quantile([0.1, 0.5])',
         lambda: A()["PULocationID"].quantile([0.1, 0.5])),
        ("print: empty value_counts", f'read_csv("{a}").query('
         '"PULocationID > 1000")["SR_Flag"].value_counts()',
         lambda: A().query("PULocationID > 1000")["SR_Flag"]
         .value_counts()),
        # scalars
        ("print: a column's sum", f'read_csv("{a}")["PULocationID"].sum()',
         lambda: A()["PULocationID"].sum()),
        ("print: a column's mean", f'read_csv("{a}")["PULocationID"]'
         '.mean()', lambda: A()["PULocationID"].mean()),
        ("print: a column's sum, pandas' float64",
         f'read_csv("{a}")["SR_Flag"].sum()', lambda: A()["SR_Flag"].sum()),
        ("print: a datetime column's min", f'{RN}["t"].min()',
         lambda: N()["t"].min()),
        ("print: a timedelta's max", f'{RN}.assign(d="u - t")["d"].max()',
         lambda: N().assign(d=lambda x: x.u - x.t)["d"].max()),
        ("print: len", f'len(read_csv("{a}"))', lambda: len(A())),
        # a whole frame's reductions: one dtype, object when mixed
        ("print: count", f'read_csv("{a}").count()', lambda: A().count()),
        ("print: max of every type (object)", f'{RN}.max()',
         lambda: nuisance_dropped(N().max)),
        ("print: mean, int and float columns", f'read_csv("{fl}")'
         '[["x", "y", "n"]].mean()', lambda: FL()[["x", "y", "n"]].mean()),
        # pandas 1.5's df.sum() (numeric_only=None): a text column's
        # strings concatenated (printed cut to 50 characters), one with a
        # NaN left out (str + float fails), an object Series; a column's
        # sum of text is the string
        ("print: sum of a frame with text columns",
         f'read_csv("{fl}").sum()', lambda: nuisance_dropped(FL().sum)),
        ("print: sum of text and a number column",
         f'read_csv("{fl}").query("n < 3")[["k", "n"]].sum()',
         lambda: FL().query("n < 3")[["k", "n"]].sum()),
        ("print: sum of a text column with NaN alone: an empty Series",
         f'read_csv("{fl}")[["s"]].sum()', lambda: nuisance_dropped(
             FL()[["s"]].sum)),
        ("print: sum of no rows with a text column: float64 zeros",
         f'read_csv("{fl}").query("n > 1000")[["k", "n"]].sum()',
         lambda: FL().query("n > 1000")[["k", "n"]].sum()),
        ("print: a text column's sum", f'read_csv("{fl}").query("n == 7")'
         '["k"].sum()', lambda: FL().query("n == 7")["k"].sum()),
        ("print: min of a text column with NaN: an empty Series",
         f'read_csv("{fl}")[["s"]].min()',
         lambda: nuisance_dropped(FL()[["s"]].min)),
        ("print: value_counts of an Int64 column: Int64 counts, <NA>",
         f'read_csv("{fl}", dtype={{"x": "Int64"}})["x"]'
         '.value_counts(dropna=False)',
         lambda: pd.read_csv(fl, dtype={"x": "Int64"})["x"]
         .value_counts(dropna=False)),
        # pandas keeps a nullable column's dtype through rename, an assign
        # of another column or of a copy, and a merge (either side, the
        # suffixed name on a clash; a left merge's missing rows <NA>):
        # its Int64 counts and value_counts(dropna=False)'s own order
        ("print: value_counts of an Int64 column renamed",
         f'{RI}.rename(columns={{"x": "z"}})["z"].value_counts(dropna=False)',
         lambda: PI().rename(columns={"x": "z"})["z"]
         .value_counts(dropna=False)),
        ("print: value_counts of an Int64 column after an assign",
         f'{RI}.assign(q="n + 1")["x"].value_counts(dropna=False)',
         lambda: PI().assign(q=lambda d: d.n + 1)["x"]
         .value_counts(dropna=False)),
        ("print: value_counts of a copy of an Int64 column",
         f'{RI}.assign(q="x")["q"].value_counts(dropna=False)',
         lambda: PI().assign(q=lambda d: d.x)["q"]
         .value_counts(dropna=False)),
        ("print: unique of a boolean column renamed",
         f'{RI}.rename(columns={{"b": "z"}})["z"].unique()',
         lambda: PI().rename(columns={"b": "z"})["z"].unique()),
        ("print: value_counts of a left merge's Int64 column, suffixed",
         f'{RI}.merge(read_csv("{fr}"), on="k", how="left")["x_x"]'
         '.value_counts(dropna=False)',
         lambda: PI().merge(pd.read_csv(fr), on="k", how="left")["x_x"]
         .value_counts(dropna=False)),
        ("print: unique of the right side's Int64 column after a left merge",
         f'read_csv("{fl}").merge(read_csv("{fr}", dtype={{"v": "Int64"}}), '
         'on="k", how="left")["v"].unique()',
         lambda: FL().merge(pd.read_csv(fr, dtype={"v": "Int64"}), on="k",
                            how="left")["v"].unique()),
        ("print: value_counts(normalize=True) of a boolean column: Float64",
         f'read_csv("{fl}", dtype={{"b": "boolean"}})["b"]'
         '.value_counts(dropna=False, normalize=True)',
         lambda: pd.read_csv(fl, dtype={"b": "boolean"})["b"]
         .value_counts(dropna=False, normalize=True)),
        ("print: quantile(q) of a frame, named q",
         f'read_csv("{a}")[["PULocationID", "DOLocationID"]].quantile(0.3)',
         lambda: A()[["PULocationID", "DOLocationID"]].quantile(0.3)),
        ("print: a frame's datetime columns", f'{RN}.head(3)',
         lambda: N().head(3)),
        # Series.unique(): numpy's array as numpy 1.24 prints it (75
        # columns wrapped, past 1000 values 3 at each end around "...",
        # ints padded, floats in maxprec positional or scientific form,
        # an int column with nulls float64, strings and a bool column
        # with nulls objects by their repr, datetime64[ns] and
        # timedelta64[ns] with 'NaT'); a nullable Int64 / boolean
        # column's IntegerArray / BooleanArray, past 100 values 10 at each
        # end
        ("print: unique of ints, wrapped", f'read_csv("{a}")'
         '["PULocationID"].unique()', lambda: A()["PULocationID"].unique()),
        ("print: unique of an int column with nulls: float64",
         f'read_csv("{fl}")["x"].unique()', lambda: FL()["x"].unique()),
        ("print: unique of floats with NaN", f'read_csv("{fl}")["y"]'
         '.unique()', lambda: FL()["y"].unique()),
        ("print: unique of floats in scientific form",
         f'read_csv("{fl}").query("x < 5").assign(z="y * 1000000 + 0.5")'
         '["z"].unique()',
         lambda: FL().query("x < 5").assign(z=lambda d: d.y * 1000000 + 0.5)
         ["z"].unique()),
        ("print: unique of text with NaN: objects",
         f'read_csv("{fl}")["s"].unique()', lambda: FL()["s"].unique()),
        ("print: unique of text with quotes and newlines: repr",
         f'read_csv("{lit}")["size"].unique()', lambda: LI()["size"].unique()),
        ("print: unique of bools, and with NaN: objects",
         f'read_csv("{fl}")["b"].unique()', lambda: FL()["b"].unique()),
        ("print: unique of a bool column", f'read_csv("{lb}")["c"].unique()',
         lambda: pd.read_csv(lb)["c"].unique()),
        ("print: unique of more than 1000 values, summarized",
         f'read_csv("{a}")["pickup_datetime"].unique()',
         lambda: A()["pickup_datetime"].unique()),
        ("print: unique of datetimes with NaT", f'{RN}["t"].unique()',
         lambda: N()["t"].unique()),
        ("print: unique of timedeltas with NaT",
         f'{RN}.assign(d="u - t").query("id < 40")["d"].unique()',
         lambda: N().assign(d=lambda x: x.u - x.t).query("id < 40")["d"]
         .unique()),
        ("print: unique of nothing", f'read_csv("{a}").query('
         '"PULocationID > 1000")["PULocationID"].unique()',
         lambda: A().query("PULocationID > 1000")["PULocationID"].unique()),
        ("print: unique of an Int64 column: IntegerArray, truncated",
         f'read_csv("{fl}", dtype={{"x": "Int64"}})["x"].unique()',
         lambda: pd.read_csv(fl, dtype={"x": "Int64"})["x"].unique()),
        ("print: unique of an Int64 column, few values",
         f'read_csv("{fl}", dtype={{"x": "Int64"}}).query("n < 2 and k == '
         '\'k1\'")["x"].unique()',
         lambda: pd.read_csv(fl, dtype={"x": "Int64"})
         .query("n < 2 and k == 'k1'")["x"].unique()),
        ("print: unique of a boolean column: BooleanArray",
         f'read_csv("{fl}", dtype={{"b": "boolean"}})["b"].unique()',
         lambda: pd.read_csv(fl, dtype={"b": "boolean"})["b"].unique()),
        ("print: describe of numbers, timedeltas with NaT and all NaT",
         f'read_csv("{nat}", parse_dates=["t", "u"]).assign(d="u - t", '
         f'e="(u - t).where(id < 0)").describe()',
         lambda: N().assign(d=lambda x: x.u - x.t,
                            e=lambda x: (x.u - x.t).where(x.id < 0))
         .describe()),
    ]


def quiet_cast(reduction):
    """A frame's std whose float passes int64 nanoseconds: pandas casts it
    to NaT, numpy warning of the invalid cast."""
    import numpy as np
    with np.errstate(invalid="ignore"):
        return reduction()


def nuisance_dropped(reduction):
    """A frame's reduction as pandas 1.5 runs it by default: columns it
    cannot reduce (text with NaN for max) dropped, its FutureWarning
    about that default silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return reduction()


def printed_text(result):
    """What print() shows of a pandas result (a frame in full: to_string)."""
    if isinstance(result, pd.DataFrame):
        return result.to_string() + "\n"
    return str(result) + "\n"


def float_text(s):
    """Whether s is written as pandas writes a float (5.0, 1e-05, nan)."""
    t = s.lower()
    return any(c in t for c in ".e") or t in ("nan", "inf", "-inf")


def cell_equal(x, y):
    if x == y:
        return True
    # numbers equal to 1e-9, written the same kind of way: an int column
    # pandas holds as float64 prints 5.0, which 5 is not
    if float_text(x) != float_text(y):
        return False
    try:
        fx, fy = float(x), float(y)
    except ValueError:
        return False
    if math.isnan(fx) and math.isnan(fy):
        return True
    return math.isclose(fx, fy, rel_tol=1e-9, abs_tol=1e-9)


def compare(got, want, unordered):
    g = list(csv.reader(io.StringIO(got)))
    w = list(csv.reader(io.StringIO(want)))
    if not g or not w:
        return "empty output"
    if g[0] != w[0]:
        return f"header {g[0]} != pandas {w[0]}"
    gb, wb = g[1:], w[1:]
    if len(gb) != len(wb):
        return f"{len(gb)} rows, pandas has {len(wb)}"
    if unordered:
        key = lambda r: (r[1:], r[0])
        gb, wb = sorted(gb, key=key), sorted(wb, key=key)
    for i, (gr, wr) in enumerate(zip(gb, wb)):
        if len(gr) != len(wr) or not all(map(cell_equal, gr, wr)):
            return f"row {i}: {gr} != pandas {wr}"
    return None


def compare_parts(parts, want):
    """to_csv's part files against pandas' to_csv() text."""
    header, _, body = want.partition("\n")
    rows = []
    for path in parts:
        with open(path, newline="") as f:
            text = f.read()
        head, _, rest = text.partition("\n")
        if head != header:
            return f"{os.path.basename(path)}: header {head!r} != {header!r}"
        rows.append(rest)
    got = "".join(rows)
    if got == body:
        return None
    g, w = got.split("\n"), body.split("\n")
    for i, (x, y) in enumerate(zip(g, w)):
        if x != y:
            return f"row {i}: {x!r} != pandas {y!r}"
    return f"{len(g)} lines, pandas has {len(w)}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--work", required=True)
    # Under the sanitizers (tests/CMakeLists.txt) 8KB and default: 8KB
    # still cuts every file into many partitions, default into none.
    ap.add_argument("--blocksizes",
                    default=os.environ.get("DUSK_PARITY_BLOCKSIZES",
                                           "1KB,64KB,default"))
    ap.add_argument("--only", default=None)
    a = ap.parse_args()
    files = make_data(a.bin, a.work)
    dusk = os.path.join(a.bin, "dusk")
    # One cluster for every query, reached like a remote one.
    local = subprocess.Popen([dusk, "local", "--workers", "2"],
                             stdout=subprocess.PIPE, text=True)
    info = {}
    for line in local.stdout:
        k, _, v = line.strip().partition(" ")
        info[k] = v
        if k == "token-file":
            break
    passed = failed = 0
    runs = [(bs, c) for bs in a.blocksizes.split(",") for c in cases(files)]
    runs += [("default", c) for c in literal_cases(files)]
    try:
        for blocksize, (name, expr, pandas_fn) in runs:
            if a.only and a.only not in name:
                continue
            cmd = [dusk, "query", "--scheduler", info["scheduler"],
                   "--token-file", info["token-file"], "--format", "csv"]
            if blocksize != "default":
                cmd += ["--blocksize", blocksize]
            outdir = None
            if "{outdir}" in expr:
                outdir = os.path.join(a.work, f"out-{blocksize}")
                shutil.rmtree(outdir, ignore_errors=True)
                expr = expr.replace("{outdir}", outdir)
            # Bytes, decoded here: text mode would turn a "\r\n" inside a
            # quoted field into "\n".
            r = subprocess.run(cmd + [expr], capture_output=True,
                               timeout=300)
            r.stdout = r.stdout.decode("utf-8", "replace")
            r.stderr = r.stderr.decode("utf-8", "replace")
            want = pandas_fn().to_csv()
            if r.returncode != 0:
                why = f"exit {r.returncode}: {r.stderr.strip()[:300]}"
            elif outdir is not None:
                # to_csv: the part files, in order, hold the rows, each
                # under its label in pandas' frame (its row number in the
                # file: a filter keeps the labels of the rows it keeps).
                # Compared as text: each part starts with pandas' header,
                # and their rows together are pandas' rows, byte for byte
                # (an int column holding a null is written 5.0 there).
                parts = sorted(glob.glob(os.path.join(outdir, "*.part")))
                why = compare_parts(parts, want)
                if why is None and len(parts) != r.stdout.count(".part"):
                    why = "the listing does not match the files"
            else:
                why = compare(r.stdout, want, False)
            label = f"{name} [blocksize {blocksize}]"
            if why is None:
                passed += 1
                print(f"ok   {label}")
            else:
                failed += 1
                print(f"FAIL {label}: {why}")
                print(f"     dusk query '{expr}'")
        for name, expr, pandas_fn in print_cases(files):
            if a.only and a.only not in name:
                continue
            r = subprocess.run([dusk, "query", "--scheduler",
                                info["scheduler"], "--token-file",
                                info["token-file"], expr],
                               capture_output=True, text=True, timeout=300)
            want = printed_text(pandas_fn())
            why = (f"exit {r.returncode}: {r.stderr.strip()[:300]}"
                   if r.returncode != 0 else None if r.stdout == want
                   else f"printed\n{r.stdout}pandas prints\n{want}")
            passed += why is None
            failed += why is not None
            print(f"ok   {name}" if why is None else f"FAIL {name}: {why}")
    finally:
        local.terminate()
        try:
            local.wait(timeout=20)
        except subprocess.TimeoutExpired:
            local.kill()
            local.wait()
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
