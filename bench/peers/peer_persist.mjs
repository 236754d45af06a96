// DuckDB's and Polars' side of bench/persist.py: load the file into memory
// once (DuckDB: CREATE TABLE ... AS SELECT * FROM read_csv_auto; Polars:
// readCSV into a DataFrame), then run groupby("PULocationID").count()
// against it `runs` times.  2 threads.  Prints one JSON line:
// {"system", "load_s", "query_s": [...], "groups": {key: [count of
// hvfhs_license_num, count of SR_Flag]}}.
//
//   node bench/peers/peer_persist.mjs {duckdb|polars} A.csv RUNS
import pl from "nodejs-polars";
import { DuckDBInstance } from "@duckdb/node-api";
import { groupsOf } from "./common.mjs";

const [system, a, runsText] = process.argv.slice(2);
const runs = Number(runsText || "10");
const THREADS = process.env.BENCH_THREADS || "2";
const now = () => performance.now() / 1000;
const queryS = [];
let groups;

if (system === "duckdb") {
  const lit = `'${a.replaceAll("'", "''")}'`;
  const db = await DuckDBInstance.create(":memory:", { threads: THREADS });
  const con = await db.connect();
  let t = now();
  // datetime columns as text, as bench/taxi.py reads them (see peer_duckdb.mjs)
  await con.run(`CREATE TABLE t AS SELECT * FROM read_csv_auto(${lit}, types = {'pickup_datetime': 'VARCHAR', 'dropoff_datetime': 'VARCHAR'})`);
  const loadS = now() - t;
  for (let i = 0; i < runs; i++) {
    t = now();
    const r = await con.runAndReadAll("SELECT PULocationID, count(hvfhs_license_num), count(SR_Flag) FROM t WHERE PULocationID IS NOT NULL GROUP BY ALL");
    const rows = r.getRows();
    queryS.push(now() - t);
    groups = groupsOf(rows);
  }
  print(loadS);
} else {
  let t = now();
  const df = pl.readCSV(a);
  const loadS = now() - t;
  for (let i = 0; i < runs; i++) {
    t = now();
    const g = df.filter(pl.col("PULocationID").isNotNull()).groupBy("PULocationID")
      .agg(pl.col("hvfhs_license_num").count(), pl.col("SR_Flag").count());
    queryS.push(now() - t);
    const k = g.getColumn("PULocationID").toArray(), c0 = g.getColumn("hvfhs_license_num").toArray(),
      sr = g.getColumn("SR_Flag").toArray();
    groups = groupsOf(k.map((v, i) => [v, c0[i], sr[i]]));
  }
  print(loadS);
}

function print(loadS) {
  process.stdout.write(JSON.stringify({ system, load_s: loadS, query_s: queryS, groups },
    (_, v) => (typeof v === "bigint" ? Number(v) : v)) + "\n");
}
