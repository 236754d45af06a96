// Polars' side of bench/taxi.py: one query, in a fresh node process (runtime
// start and module load inside the driver's wall time), with nodejs-polars
// (installed under bench/) and POLARS_MAX_THREADS=2 set by the driver.
// Lazy throughout (pl.scanCSV ... collectSync), so projection and predicate
// pushdown and early stop for head() are Polars' own.
//
//   node bench/peers/peer_polars.mjs {groupby|fillna_groupby|filter_head|concat_groupby|len} A.csv [B.csv]
//
//   groupby         scanCSV(A).filter(PULocationID not null).groupBy("PULocationID").agg(pl.all().count())
//   filter_head     scanCSV(A).fillNull(0).filter(PULocationID > 200).head(10)
//   concat_groupby  pl.concat([scanCSV(A), scanCSV(B)]) then the groupby
//   fillna_groupby  the numeric columns' nulls filled with 0, then the groupby
//   len             scanCSV(A).select(pl.len())
//   merge_groupby   scanCSV(A).join(scanCSV(Z), {leftOn: "PULocationID", rightOn:
//                   "LocationID"}).filter(Borough not null).groupBy("Borough").agg(pl.len())
import pl from "nodejs-polars";
import { args, emit, groupsOf } from "./common.mjs";

const { q, a, b } = args();
const t0 = performance.now();
const scan = (f) => pl.scanCSV(f);
const groupby = (lf) =>
  lf.filter(pl.col("PULocationID").isNotNull()).groupBy("PULocationID").agg(pl.all().count()).collectSync();
let df;
const secs = () => (performance.now() - t0) / 1000;
const filled = (lf) =>
  lf.withColumns(pl.col("PULocationID").fillNull(0), pl.col("DOLocationID").fillNull(0),
    pl.col("SR_Flag").fillNull(0));
if (q === "groupby" || q === "concat_groupby" || q === "fillna_groupby") {
  df = groupby(q === "groupby" ? scan(a) : q === "fillna_groupby" ? filled(scan(a))
    : pl.concat([scan(a), scan(b)]));
  const k = df.getColumn("PULocationID").toArray(), c0 = df.getColumn("hvfhs_license_num").toArray(),
    sr = df.getColumn("SR_Flag").toArray();
  emit("polars", q, df.height, secs(), { groups: groupsOf(k.map((v, i) => [v, c0[i], sr[i]])) });
} else if (q === "merge_groupby") {
  df = scan(a).join(scan(b), { leftOn: "PULocationID", rightOn: "LocationID", how: "inner" })
    .filter(pl.col("Borough").isNotNull()).groupBy("Borough").agg(pl.len().alias("n")).collectSync();
  const k = df.getColumn("Borough").toArray(), n = df.getColumn("n").toArray();
  emit("polars", q, df.height, secs(), { groups: groupsOf(k.map((v, i) => [v, n[i], n[i]])) });
} else if (q === "filter_head") {
  df = scan(a).fillNull(0).filter(pl.col("PULocationID").gt(200)).head(10).collectSync();
  const pu = df.getColumn("PULocationID").toArray(), dl = df.getColumn("DOLocationID").toArray();
  emit("polars", q, df.height, secs(), { head: pu.map((v, i) => [Number(v), Number(dl[i])]) });
} else {
  df = scan(a).select(pl.len()).collectSync();
  emit("polars", q, 1, secs(), { len: df.getColumn("len").toArray()[0] });
}
