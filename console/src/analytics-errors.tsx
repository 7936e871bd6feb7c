/**
 * Failures grouped (`GET /v1/analytics/errors`): by failure type (a chat turn or a pack step),
 * error code, model and template, with counts, first and last seen, and sample chats linked to
 * their page in the console.
 */
import { csvFileName, CsvLink, DataTable, type Column } from './chart-table';
import { linkTo } from './router';

interface FailureGroup {
  kind: 'turn' | 'pack_step';
  code: string;
  model: string;
  template: string;
  count: number;
  turns: number;
  first_seen: string;
  last_seen: string;
  sample_chat_ids: string[];
}
export interface ErrorsData { app_id: string; from: string; to: string; truncated: boolean; groups: FailureGroup[] }

const chatPath = (id: string) => `/console/chats/${encodeURIComponent(id)}`;
const when = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC');

const COLUMNS: Column<FailureGroup>[] = [
  { csv: 'kind', title: 'Type', value: (g) => g.kind, cell: (g) => (g.kind === 'turn' ? 'chat turn' : 'pack step') },
  { csv: 'code', title: 'Code', value: (g) => g.code },
  { csv: 'model', title: 'Model', value: (g) => g.model },
  { csv: 'template', title: 'Template', value: (g) => g.template },
  { csv: 'count', title: 'Failed calls', value: (g) => g.count },
  { csv: 'turns', title: 'Turns', value: (g) => g.turns },
  { csv: 'first_seen', title: 'First seen', value: (g) => g.first_seen, cell: (g) => when(g.first_seen) },
  { csv: 'last_seen', title: 'Last seen', value: (g) => g.last_seen, cell: (g) => when(g.last_seen) },
  {
    csv: 'sample_chat_ids',
    title: 'Sample chats',
    value: (g) => g.sample_chat_ids.join(' '),
    cell: (g) => (
      <ul class="inline">
        {g.sample_chat_ids.map((id) => <li key={id}><a href={chatPath(id)} onClick={linkTo(chatPath(id))}>{id}</a></li>)}
      </ul>
    ),
  },
];

export const groupKey = (g: Pick<FailureGroup, 'kind' | 'code' | 'model' | 'template'>) => `${g.kind}|${g.code}|${g.model}|${g.template}`;

export function ErrorsView({ data }: { data: ErrorsData }) {
  if (data.groups.length === 0) return <p>No failed calls in this range.</p>;
  const failed = data.groups.reduce((total, g) => total + g.count, 0);
  return (
    <div class="report" data-report="errors">
      <p>
        {data.app_id}: {failed} failed calls in {data.groups.length} groups{data.truncated ? ' (only the largest groups are listed)' : ''}.{' '}
        <CsvLink columns={COLUMNS} rows={data.groups} filename={csvFileName('errors', data)} />
      </p>
      <DataTable caption="Failed calls by type, code, model and template, largest first" columns={COLUMNS} rows={data.groups} rowKey={groupKey} />
    </div>
  );
}
