// DuckDB's and Polars' side of bench/groups.py: rows per pickup_datetime
// (as text; a GROUP BY answers size and value_counts alike) or its
// distinct count (nunique), 2 threads.  Prints {"system", "groups",
// "rows", "max"}.
//
//   node bench/peers/peer_groups.mjs {duckdb|polars} A.csv [QUERY]
import pl from "nodejs-polars";
import { DuckDBInstance } from "@duckdb/node-api";

const [system, a, q = "size"] = process.argv.slice(2);
const THREADS = process.env.BENCH_THREADS || "2";
const num = (v) => (typeof v === "bigint" ? Number(v) : v);
let counts;
if (q === "nunique") { // the distinct count alone
  let n;
  if (system === "duckdb") {
    const lit = `'${a.replaceAll("'", "''")}'`;
    const db = await DuckDBInstance.create(":memory:", { threads: THREADS });
    const con = await db.connect();
    const r = await con.runAndReadAll(`SELECT count(DISTINCT pickup_datetime) FROM read_csv_auto(${lit}, types = {'pickup_datetime': 'VARCHAR', 'dropoff_datetime': 'VARCHAR'})`);
    n = num(r.getRows()[0][0]);
  } else {
    const df = pl.scanCSV(a).select(pl.col("pickup_datetime").dropNulls().nUnique().alias("n")).collectSync();
    n = num(df.getColumn("n").toArray()[0]);
  }
  process.stdout.write(JSON.stringify({ system, groups: n, rows: 0, max: 0 }) + "\n");
  process.exit(0);
}
if (system === "duckdb") {
  const lit = `'${a.replaceAll("'", "''")}'`;
  const db = await DuckDBInstance.create(":memory:", { threads: THREADS });
  const con = await db.connect();
  const r = await con.runAndReadAll(`SELECT pickup_datetime, count(*) FROM read_csv_auto(${lit}, types = {'pickup_datetime': 'VARCHAR', 'dropoff_datetime': 'VARCHAR'}) WHERE pickup_datetime IS NOT NULL GROUP BY 1`);
  counts = r.getRows().map((row) => num(row[1]));
} else {
  const df = pl.scanCSV(a).filter(pl.col("pickup_datetime").isNotNull())
    .groupBy("pickup_datetime").agg(pl.len().alias("n")).collectSync();
  counts = df.getColumn("n").toArray().map(num);
}
let rows = 0, max = 0;
for (const c of counts) { rows += c; if (c > max) max = c; }
process.stdout.write(JSON.stringify({ system, groups: counts.length, rows, max }) + "\n");
