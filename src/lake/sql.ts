/** SQL text for DuckDB queries over lake files; the one place that quotes and reads them. */

/** A SQL string literal. */
export function sqlText(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A SQL list of string literals: `['a.parquet', 'b.parquet']`. */
export function sqlList(values: readonly string[]): string {
  return `[${values.map(sqlText).join(', ')}]`;
}

/**
 * `read_parquet` over lake files, with hive partitioning off: DuckDB would otherwise add the
 * `date=…` and `venue=…` folder names as columns (a DATE `date` over the files' own). With
 * `unionByName`, files are matched by column name.
 */
export function readParquetSql(
  files: string | readonly string[],
  options: { unionByName?: boolean } = {},
): string {
  const list = typeof files === 'string' ? sqlText(files) : sqlList(files);
  return `read_parquet(${list}${options.unionByName === true ? ', union_by_name = true' : ''}, hive_partitioning = false)`;
}
