// Shared bits of the node peers of bench/taxi.py (DuckDB, Polars): argument
// parsing and the one JSON line each peer prints (see common.py).
export const QUERIES = ["groupby", "fillna_groupby", "filter_head", "concat_groupby", "len",
  "merge_groupby"];

export function args() {
  const [q, a, b] = process.argv.slice(2);
  if (!QUERIES.includes(q) || !a || ((q === "concat_groupby" || q === "merge_groupby") && !b)) {
    console.error(`usage: node ${process.argv[1]} {${QUERIES.join("|")}} FILE_A [FILE_B]`);
    process.exit(2);
  }
  return { q, a, b };
}

const num = (v) => (typeof v === "bigint" ? Number(v) : v);

// rows of [key, count of first column, count of SR_Flag] -> {key: [c0, sr]}
export function groupsOf(rows) {
  const g = {};
  for (const [k, c0, sr] of rows) {
    if (k === null || k === undefined) continue;
    g[String(num(k))] = [num(c0), num(sr)];
  }
  return g;
}

export function emit(system, query, resultRows, innerS, extra) {
  const out = { system, query, result_rows: num(resultRows), inner_s: Math.round(innerS * 1000) / 1000, ...extra };
  process.stdout.write(JSON.stringify(out, (_, v) => (typeof v === "bigint" ? Number(v) : v)) + "\n");
}
