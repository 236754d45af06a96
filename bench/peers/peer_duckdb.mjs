// DuckDB's side of bench/taxi.py: one query, in a fresh node process (runtime
// start and module load inside the driver's wall time), on an in-memory
// DuckDB with SET threads=2 (@duckdb/node-api, installed under bench/).
//
//   node bench/peers/peer_duckdb.mjs {groupby|fillna_groupby|filter_head|concat_groupby|len} A.csv [B.csv]
//
// The SQL (read_csv_auto infers types from a sample, except the datetime
// columns, read as VARCHAR (TYPES below); empty fields are NULL):
//   groupby         SELECT PULocationID, count(COLUMNS(* EXCLUDE (PULocationID)))
//                   FROM read_csv_auto('A') WHERE PULocationID IS NOT NULL GROUP BY ALL
//                   (pandas' .count(): non-null values per column; null keys dropped)
//   filter_head     SELECT * REPLACE (COALESCE(PULocationID, 0) AS PULocationID,
//                   COALESCE(DOLocationID, 0) AS DOLocationID, COALESCE(SR_Flag, 0) AS SR_Flag)
//                   FROM read_csv_auto('A') WHERE COALESCE(PULocationID, 0) > 200 LIMIT 10
//                   (fillna(0) on the numeric columns; the string ones have no nulls;
//                   insertion order is preserved, so these are the first 10 matches)
//   concat_groupby  the groupby over read_csv_auto(['A', 'B'])
//   fillna_groupby  SELECT COALESCE(PULocationID, 0) AS PULocationID, count(c) AS c for
//                   each other column (COALESCE(c, 0) for the numeric ones) ... GROUP BY 1
//   len             SELECT count(*) FROM read_csv_auto('A')
//   merge_groupby   SELECT z.Borough, count(*) FROM read_csv_auto('A') t JOIN
//                   read_csv_auto('Z') z ON t.PULocationID = z.LocationID
//                   WHERE z.Borough IS NOT NULL GROUP BY 1
import { DuckDBInstance } from "@duckdb/node-api";
import { args, emit, groupsOf } from "./common.mjs";

export const THREADS = process.env.BENCH_THREADS || "2";
const { q, a, b } = args();
const t0 = performance.now();
const lit = (f) => `'${f.replaceAll("'", "''")}'`;
// The two datetime columns are read as VARCHAR, as pandas, Polars and dusk
// keep them (strings): the generator writes some impossible dates (a dropoff
// on "2021-02-29") that would stop DuckDB's auto-detected TIMESTAMP.
const TYPES = "types = {'pickup_datetime': 'VARCHAR', 'dropoff_datetime': 'VARCHAR'}";
const src = q === "concat_groupby"
  ? `read_csv_auto([${lit(a)}, ${lit(b)}], ${TYPES})` : `read_csv_auto(${lit(a)}, ${TYPES})`;
const SQL = {
  groupby: `SELECT PULocationID, count(COLUMNS(* EXCLUDE (PULocationID))) FROM ${src} WHERE PULocationID IS NOT NULL GROUP BY ALL`,
  filter_head: `SELECT * REPLACE (COALESCE(PULocationID, 0) AS PULocationID, COALESCE(DOLocationID, 0) AS DOLocationID, COALESCE(SR_Flag, 0) AS SR_Flag) FROM ${src} WHERE COALESCE(PULocationID, 0) > 200 LIMIT 10`,
  fillna_groupby: `SELECT COALESCE(PULocationID, 0) AS PULocationID, count(hvfhs_license_num) AS hvfhs_license_num, count(dispatching_base_num) AS dispatching_base_num, count(pickup_datetime) AS pickup_datetime, count(dropoff_datetime) AS dropoff_datetime, count(COALESCE(DOLocationID, 0)) AS DOLocationID, count(COALESCE(SR_Flag, 0)) AS SR_Flag FROM ${src} GROUP BY 1`,
  len: `SELECT count(*) FROM ${src}`,
};
SQL.concat_groupby = SQL.groupby;
if (q === "merge_groupby")
  SQL.merge_groupby = `SELECT z.Borough, count(*) AS n, count(*) AS n2 FROM ${src} t JOIN read_csv_auto(${lit(b)}) z ON t.PULocationID = z.LocationID WHERE z.Borough IS NOT NULL GROUP BY 1`;

const db = await DuckDBInstance.create(":memory:", { threads: THREADS });
const con = await db.connect();
const reader = await con.runAndReadAll(SQL[q]);
const names = reader.columnNames();
const rows = reader.getRows();
const secs = (performance.now() - t0) / 1000;
if (q === "groupby" || q === "concat_groupby" || q === "fillna_groupby") {
  const first = names.indexOf("hvfhs_license_num"), sr = names.indexOf("SR_Flag");
  emit("duckdb", q, rows.length, secs, { groups: groupsOf(rows.map((r) => [r[0], r[first], r[sr]])) });
} else if (q === "merge_groupby") {
  emit("duckdb", q, rows.length, secs, { groups: groupsOf(rows) });
} else if (q === "filter_head") {
  const pu = names.indexOf("PULocationID"), dl = names.indexOf("DOLocationID");
  emit("duckdb", q, rows.length, secs, { head: rows.map((r) => [Number(r[pu]), Number(r[dl])]) });
} else {
  emit("duckdb", q, 1, secs, { len: rows[0][0] });
}
con.closeSync?.();
