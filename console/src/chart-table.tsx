/**
 * A chart's data as a table (a caption, column and row headers), and the same rows as a CSV file
 * made in the browser: the CSV has exactly the table's rows and columns, with the raw numbers the
 * API gave (the table rounds them for reading).
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useMemo } from 'preact/hooks';

export interface Column<Row> {
  /** The CSV header of the column. */
  csv: string;
  /** The table's header. */
  title: string;
  value: (row: Row) => string | number | null;
  /** How the cell reads, when not the raw value. */
  cell?: (row: Row) => ComponentChildren;
}

export interface DataTableProps<Row> {
  caption: string;
  columns: Column<Row>[];
  rows: Row[];
  /** `data-key` of each row (and `data-<keyAttribute>`, e.g. `data-day`). */
  rowKey: (row: Row) => string;
  keyAttribute?: string;
}

/** RFC 4180: a field with a comma, a quote or a line break is quoted, quotes doubled. */
const field = (value: string | number | null) => {
  const text = value === null ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

export function toCsv<Row>(columns: Column<Row>[], rows: Row[]): string {
  const lines = [columns.map((c) => field(c.csv)).join(','), ...rows.map((r) => columns.map((c) => field(c.value(r))).join(','))];
  return `${lines.join('\n')}\n`;
}

/** `<report>-<app>-<from>-<to>.csv`, the range's days as the API gave them (`to` exclusive). */
export const csvFileName = (report: string, range: { app_id: string; from: string; to: string }) =>
  `${report}-${range.app_id}-${range.from.slice(0, 10)}-${range.to.slice(0, 10)}.csv`;

/** A link that downloads `rows` as CSV (a Blob URL, revoked when the rows change). */
export function CsvLink<Row>({ columns, rows, filename }: { columns: Column<Row>[]; rows: Row[]; filename: string }) {
  // Made while rendering, so the link never points at the previous rows' (revoked) file.
  const href = useMemo(() => URL.createObjectURL(new Blob([toCsv(columns, rows)], { type: 'text/csv' })), [columns, rows]);
  useEffect(() => () => URL.revokeObjectURL(href), [href]);
  return <a href={href} download={filename}>Download CSV</a>;
}

export function DataTable<Row>({ caption, columns, rows, rowKey, keyAttribute }: DataTableProps<Row>) {
  const [head, ...rest] = columns;
  return (
    <table class="series">
      <caption>{caption}</caption>
      <thead>
        <tr>{columns.map((c) => <th scope="col" key={c.csv}>{c.title}</th>)}</tr>
      </thead>
      <tbody>
        {rows.map((row) => {
          const key = rowKey(row);
          const attributes = keyAttribute ? { [`data-${keyAttribute}`]: key } : {};
          return (
            <tr key={key} data-key={key} {...attributes}>
              {head && <th scope="row">{head.cell ? head.cell(row) : head.value(row)}</th>}
              {rest.map((c) => <td key={c.csv}>{c.cell ? c.cell(row) : c.value(row)}</td>)}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
