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
 * `unionByName`, files are matched by column name; with `fileRowNumber`, a BIGINT column
 * `file_row_number` gives each row's position in its own file, from 0.
 */
export function readParquetSql(
  files: string | readonly string[],
  options: { unionByName?: boolean; fileRowNumber?: boolean } = {},
): string {
  const list = typeof files === 'string' ? sqlText(files) : sqlList(files);
  const union = options.unionByName === true ? ', union_by_name = true' : '';
  const rowNumber = options.fileRowNumber === true ? ', file_row_number = true' : '';
  return `read_parquet(${list}${union}${rowNumber}, hive_partitioning = false)`;
}
