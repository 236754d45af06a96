// DuckDB's and Polars' side of bench/vocab.py (issues 11 and 14): one
// query in a fresh node process, 2 threads, module load inside the wall
// time.  Prints one JSON line: {"system", "query", "answer"}, the answer
// normalised as bench/vocab.py compares it.
//
//   node bench/peers/peer_vocab.mjs {duckdb|polars} QUERY A.csv
//
// Queries (pandas' meaning; dusk's expression in bench/vocab.py):
//   hour_size      rows per hour of pickup_datetime (parsed as a datetime)
//   duration_mean  mean of (dropoff - pickup) in seconds by PULocationID
//   top10          the 10 PULocationIDs with most rows (ties: lower id)
//   drop_dups      rows kept by drop_duplicates(["PULocationID", "DOLocationID"])
//   nlargest       the 10 latest pickup_datetime values of the whole file (epoch s)
//   describe       count, mean, std, min, 25/50/75% (exact), max of the number columns
//   median_by      the exact median of (dropoff - pickup) in seconds by PULocationID
//   day_size       rows per day of pickup_datetime ("YYYY-MM-DD")
//   sort_rows      the rows with PULocationID < 27 sorted by pickup_datetime, all
//                  of them materialised: [rows, first 5, last 5 pickups (epoch s)]
//   drop_dups3     rows kept by drop_duplicates(["dispatching_base_num",
//                  "PULocationID", "DOLocationID"])
//   sort_head      the 10 earliest pickup_datetime values of the whole file (epoch s)
//   merge_months   rows of A joined with $BENCH_FILE2 on (PULocationID,
//                  DOLocationID, hour of pickup_datetime), counted
//   merge_csv      A joined with the zone lookup $BENCH_ZONES (PULocationID =
//                  LocationID), every row written as CSV into $BENCH_OUT_DIR
//   merge_sort_csv the same join sorted by pickup_datetime (nulls last), written
import pl from "nodejs-polars";
import { DuckDBInstance } from "@duckdb/node-api";

const [system, q, a] = process.argv.slice(2);
const THREADS = process.env.BENCH_THREADS || "2";
const num = (v) => (typeof v === "bigint" ? Number(v) : v);
const out = (answer) =>
  process.stdout.write(JSON.stringify({ system, query: q, answer },
    (_, v) => (typeof v === "bigint" ? Number(v) : v)) + "\n");
const NUMS = ["PULocationID", "DOLocationID", "SR_Flag"];
// a sorted column of epoch seconds (null: NaT) -> sort_rows' answer
const sortedSummary = (t) => [t.length, t.slice(0, 5), t.slice(-5)];

if (system === "duckdb") {
  const lit = `'${a.replaceAll("'", "''")}'`;
  const src = `read_csv_auto(${lit}, types = {'pickup_datetime': 'TIMESTAMP', 'dropoff_datetime': 'TIMESTAMP'})`;
  const b = process.env.BENCH_FILE2 || a;
  const src2 = `read_csv_auto('${b.replaceAll("'", "''")}', types = {'pickup_datetime': 'TIMESTAMP', 'dropoff_datetime': 'TIMESTAMP'})`;
  const SQL = {
    hour_size: `SELECT hour(pickup_datetime), count(*) FROM ${src} WHERE pickup_datetime IS NOT NULL GROUP BY 1 ORDER BY 1`,
    duration_mean: `SELECT PULocationID, avg(epoch(dropoff_datetime) - epoch(pickup_datetime)) FROM ${src} WHERE PULocationID IS NOT NULL GROUP BY 1 ORDER BY 1`,
    nlargest: `SELECT epoch(pickup_datetime)::BIGINT FROM (SELECT * FROM ${src} ORDER BY pickup_datetime DESC NULLS LAST LIMIT 10)`,
    // the kept rows themselves, as dusk and Polars deliver them (a count(*)
    // around it would let DuckDB skip building them)
    drop_dups: `SELECT DISTINCT ON (PULocationID, DOLocationID) * FROM ${src}`,
    drop_dups3: `SELECT DISTINCT ON (dispatching_base_num, PULocationID, DOLocationID) * FROM ${src}`,
    // every row, read into node below (as drop_dups' rows are)
    sort_rows: `SELECT * FROM ${src} WHERE PULocationID < 27 ORDER BY pickup_datetime NULLS LAST`,
    sort_head: `SELECT epoch(pickup_datetime)::BIGINT FROM (SELECT * FROM ${src} ORDER BY pickup_datetime NULLS LAST LIMIT 10)`,
    // 16 partitions' bounds: the least, 15 cuts, the greatest
    divisions: `SELECT epoch(min(pickup_datetime))::BIGINT, epoch(max(pickup_datetime))::BIGINT, quantile_disc(pickup_datetime, [${Array.from({ length: 15 }, (_, i) => (i + 1) / 16).join(", ")}]) FROM ${src}`,
    top10: `SELECT PULocationID, count(*) AS n FROM ${src} WHERE PULocationID IS NOT NULL GROUP BY 1 ORDER BY n DESC, PULocationID LIMIT 10`,
    median_by: `SELECT PULocationID, median(epoch(dropoff_datetime) - epoch(pickup_datetime)) FROM ${src} WHERE PULocationID IS NOT NULL GROUP BY 1 ORDER BY 1`,
    day_size: `SELECT strftime(CAST(pickup_datetime AS DATE), '%Y-%m-%d'), count(*) FROM ${src} WHERE pickup_datetime IS NOT NULL GROUP BY 1 ORDER BY 1`,
    merge_months: `SELECT count(*) FROM (SELECT PULocationID, DOLocationID, hour(pickup_datetime) AS h FROM ${src}) x JOIN (SELECT PULocationID, DOLocationID, hour(pickup_datetime) AS h FROM ${src2}) y USING (PULocationID, DOLocationID, h)`,
    describe: `SELECT ${NUMS.map((c) => `count(${c}), avg(${c}), stddev_samp(${c}), min(${c}), ${[0.25, 0.5, 0.75].map((p) => `quantile_cont(${c}, ${p})`).join(", ")}, max(${c})`).join(", ")} FROM ${src}`,
  };
  const db = await DuckDBInstance.create(":memory:", { threads: THREADS });
  const con = await db.connect();
  if (q === "merge_csv") {  // the harness reads the answer off the file
    const dest = `${process.env.BENCH_OUT_DIR}/000000.csv`.replaceAll("'", "''");
    const zones = `read_csv_auto('${process.env.BENCH_ZONES.replaceAll("'", "''")}')`;
    await con.run(`COPY (SELECT * FROM ${src} a JOIN ${zones} z ON a.PULocationID = z.LocationID) TO '${dest}' (HEADER, TIMESTAMPFORMAT '%Y-%m-%d %H:%M:%S')`);
    out(null);
    process.exit(0);
  }
  if (q === "merge_sort_csv") {  // the harness reads the answer off the file
    const dest = `${process.env.BENCH_OUT_DIR}/000000.csv`.replaceAll("'", "''");
    const zones = `read_csv_auto('${process.env.BENCH_ZONES.replaceAll("'", "''")}')`;
    await con.run(`COPY (SELECT * FROM ${src} a JOIN ${zones} z ON a.PULocationID = z.LocationID ORDER BY pickup_datetime NULLS LAST) TO '${dest}' (HEADER, TIMESTAMPFORMAT '%Y-%m-%d %H:%M:%S')`);
    out(null);
    process.exit(0);
  }
  if (q === "sort_csv") {  // the harness reads the answer off the file
    const dest = `${process.env.BENCH_OUT_DIR}/000000.csv`.replaceAll("'", "''");
    await con.run(`COPY (SELECT * FROM ${src} ORDER BY pickup_datetime NULLS LAST) TO '${dest}' (HEADER, TIMESTAMPFORMAT '%Y-%m-%d %H:%M:%S')`);
    out(null);
    process.exit(0);
  }
  const reader = await con.runAndReadAll(SQL[q]);
  const rows = reader.getRows().map((r) => r.map(num));
  if (q === "sort_rows") {  // DuckDBTimestampValue: micros, a bigint
    const i = reader.columnNames().indexOf("pickup_datetime");
    out(sortedSummary(rows.map((r) => (r[i] === null ? null : Number(r[i].micros / 1000000n)))));
  } else
    out(q === "divisions" ? rows[0].slice(0, 2) : q === "merge_months" ? rows[0][0] : q === "describe" ? rows[0] : q === "nlargest" || q === "sort_head" ? rows.map((r) => r[0])
      : q === "drop_dups" || q === "drop_dups3" ? rows.length : rows);
} else {
  const fmt = "%Y-%m-%d %H:%M:%S";
  // strptime gives microseconds whatever unit is asked for (1e6 a second)
  const ts = (c) => pl.col(c).str.strptime(pl.Datetime("ms"), fmt);
  const lf = pl.scanCSV(a);
  const epochs = (d) => d.getColumn("pickup_datetime").cast(pl.Int64).toArray()
    .map((v) => (v === null ? null : Math.floor(Number(v) / 1e6)));
  let df;
  if (q === "hour_size") {
    df = lf.select(ts("pickup_datetime").alias("t")).filter(pl.col("t").isNotNull())
      .groupBy(pl.col("t").dt.hour().alias("h")).agg(pl.len().alias("n"))
      .sort("h").collectSync();
    out(df.rows());
  } else if (q === "duration_mean" || q === "median_by") {
    const secs = pl.col("secs");
    df = lf.filter(pl.col("PULocationID").isNotNull())
      .select(pl.col("PULocationID"),
        ts("dropoff_datetime").cast(pl.Int64).sub(ts("pickup_datetime").cast(pl.Int64))
          .div(1e6).alias("secs"))
      .groupBy("PULocationID").agg(q === "median_by" ? secs.median() : secs.mean())
      .sort("PULocationID").collectSync();
    out(df.rows());
  } else if (q === "day_size") {
    df = lf.select(ts("pickup_datetime").alias("t")).filter(pl.col("t").isNotNull())
      .groupBy(pl.col("t").dt.strftime("%Y-%m-%d").alias("d")).agg(pl.len().alias("n"))
      .sort("d").collectSync();
    out(df.rows());
  } else if (q === "drop_dups") {
    df = lf.unique(["PULocationID", "DOLocationID"], "first", true).collectSync();
    out(df.height);
  } else if (q === "merge_months") {
    const side = (f) => pl.scanCSV(f).select(pl.col("PULocationID"), pl.col("DOLocationID"),
      ts("pickup_datetime").dt.hour().alias("h"));
    df = side(a).join(side(process.env.BENCH_FILE2 || a),
      { on: ["PULocationID", "DOLocationID", "h"] }).select(pl.len().alias("n")).collectSync();
    out(Number(df.getColumn("n").toArray()[0]));
  } else if (q === "drop_dups3") {
    df = lf.unique(["dispatching_base_num", "PULocationID", "DOLocationID"], "first", true)
      .collectSync();
    out(df.height);
  } else if (q === "sort_rows") {
    df = lf.withColumns(ts("pickup_datetime")).filter(pl.col("PULocationID").lt(27))
      .sort("pickup_datetime", false, true).collectSync();
    out(sortedSummary(epochs(df)));
  } else if (q === "merge_csv") {  // the harness reads the answer off the file
    lf.join(pl.scanCSV(process.env.BENCH_ZONES), { leftOn: "PULocationID", rightOn: "LocationID" })
      .collectSync().writeCSV(`${process.env.BENCH_OUT_DIR}/000000.csv`);
    out(null);
  } else if (q === "merge_sort_csv") {  // the harness reads the answer off the file
    lf.join(pl.scanCSV(process.env.BENCH_ZONES), { leftOn: "PULocationID", rightOn: "LocationID" })
      .sort("pickup_datetime", false, true).collectSync()
      .writeCSV(`${process.env.BENCH_OUT_DIR}/000000.csv`);
    out(null);
  } else if (q === "sort_csv") {  // the harness reads the answer off the file
    lf.sort("pickup_datetime", false, true).collectSync()
      .writeCSV(`${process.env.BENCH_OUT_DIR}/000000.csv`);
    out(null);
  } else if (q === "divisions") {
    const p = pl.col("pickup_datetime");
    df = lf.select(ts("pickup_datetime")).select(p.min().alias("lo"), p.max().alias("hi"),
      ...Array.from({ length: 15 }, (_, i) => p.quantile((i + 1) / 16, "lower").alias(`q${i}`)))
      .collectSync();
    out(["lo", "hi"].map((c) => Math.floor(Number(df.getColumn(c).cast(pl.Int64).toArray()[0]) / 1e6)));
  } else if (q === "sort_head") {
    df = lf.withColumns(ts("pickup_datetime")).sort("pickup_datetime", false, true).head(10)
      .collectSync();
    out(epochs(df));
  } else if (q === "nlargest") {
    df = lf.withColumns(ts("pickup_datetime")).sort("pickup_datetime", true, true).head(10)
      .collectSync();
    out(epochs(df));
  } else if (q === "top10") {
    df = lf.filter(pl.col("PULocationID").isNotNull()).groupBy("PULocationID")
      .agg(pl.len().alias("n")).sort(["n", "PULocationID"], [true, false]).head(10)
      .collectSync();
    out(df.rows());
  } else {
    const e = [];
    for (const c of NUMS)
      e.push(pl.col(c).count().alias(c + "_n"), pl.col(c).mean().alias(c + "_m"),
        pl.col(c).std().alias(c + "_s"), pl.col(c).min().alias(c + "_lo"),
        ...[0.25, 0.5, 0.75].map((p) => pl.col(c).quantile(p, "linear").alias(`${c}_${p}`)),
        pl.col(c).max().alias(c + "_hi"));
    df = lf.select(e).collectSync();
    out(df.rows()[0]);
  }
}
