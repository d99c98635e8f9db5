// DescribeProcesses and DescribeOpenPorts: the records of each agent's last finished collection, paged and
// filtered as documented (Limit default 10, at most 100; Offset; Filters ProcessName and MachineIp, and Port
// for ports; Uuid or ProcessName / Port required), with each action's documented error codes only:
// DescribeProcesses InternalError, InvalidParameter.IllegalRequest/.InvalidFormat/.ParsingError,
// MissingParameter; DescribeOpenPorts the same without ParsingError. See README.md for the choices the
// documentation leaves open.
import { isAgentUuid } from '../../lib/cwp/uuid';
import type { TaskKind } from '../../lib/types';
import { ApiError, parseParamsObject } from './errors';
import type { OpenPort, Process } from './hosts';
import type { Agents } from './yunjing';

export const RESULT_ACTIONS = { DescribeProcesses: 'process', DescribeOpenPorts: 'port' } as const;

export const RESULT_LIMIT = { default: 10, max: 100 } as const;

type ResultRecord = Process | OpenPort;

/** Per kind: the parameters, the one-of pair, the documented filter names, and the Response's array field. */
const SHAPE = {
  process: { params: ['Uuid', 'ProcessName', 'Limit', 'Offset', 'Filters'], oneOf: ['Uuid', 'ProcessName'], filters: ['ProcessName', 'MachineIp'], list: 'Processes' },
  port: { params: ['Uuid', 'Port', 'Limit', 'Offset', 'Filters'], oneOf: ['Uuid', 'Port'], filters: ['Port', 'ProcessName', 'MachineIp'], list: 'OpenPorts' },
} as const;

interface ResultQuery {
  uuid: string | null;
  processName: string | null;
  port: number | null;
  limit: number;
  offset: number;
  /** Every filter must match (AND); a filter matches when the record's field equals one of its values (OR). */
  filters: Array<{ name: string; values: string[] }>;
}

const invalid = (message: string) => new ApiError('InvalidParameter.InvalidFormat', message);
const isInt = (v: unknown): v is number => Number.isSafeInteger(v);

function readQuery(kind: TaskKind, body: string): ResultQuery {
  const shape = SHAPE[kind];
  const p = parseParamsObject(body, kind);
  const extra = Object.keys(p).filter((k) => !(shape.params as readonly string[]).includes(k));
  if (extra.length > 0) throw new ApiError('InvalidParameter.IllegalRequest', `Unknown parameter(s): ${extra.join(', ')}.`);
  if (shape.oneOf.every((k) => p[k] === undefined)) {
    throw new ApiError('MissingParameter', `The request is missing a required parameter: one of \`${shape.oneOf.join('`, `')}\`.`);
  }

  const uuid = p.Uuid;
  if (uuid !== undefined && (typeof uuid !== 'string' || !isAgentUuid(uuid))) throw invalid('Uuid must be an agent Uuid (8-4-4-4-12 hex).');
  const processName = p.ProcessName;
  if (processName !== undefined && (typeof processName !== 'string' || processName === '')) throw invalid('ProcessName must be a non-empty string.');
  const port = p.Port;
  if (port !== undefined && !(isInt(port) && port >= 0 && port <= 65_535)) throw invalid('Port must be an integer 0..65535.');
  const limit = p.Limit ?? RESULT_LIMIT.default;
  if (!(isInt(limit) && limit >= 1 && limit <= RESULT_LIMIT.max)) throw invalid(`Limit must be an integer 1..${RESULT_LIMIT.max}.`);
  const offset = p.Offset ?? 0;
  if (!(isInt(offset) && offset >= 0)) throw invalid('Offset must be a non-negative integer.');

  const filters: ResultQuery['filters'] = [];
  if (p.Filters !== undefined) {
    if (!Array.isArray(p.Filters)) throw invalid('Filters must be an array of {Name, Values}.');
    p.Filters.forEach((f: unknown, i) => {
      if (f === null || typeof f !== 'object' || Array.isArray(f)) throw invalid(`Filters.${i} must be an object {Name, Values}.`);
      const { Name, Values, ...rest } = f as Record<string, unknown>;
      if (Object.keys(rest).length > 0) throw invalid(`Filters.${i} has unknown fields: ${Object.keys(rest).join(', ')}.`);
      if (typeof Name !== 'string' || !(shape.filters as readonly string[]).includes(Name)) {
        throw invalid(`Filters.${i}.Name must be one of ${shape.filters.join(', ')}.`);
      }
      if (!Array.isArray(Values) || Values.length === 0 || !Values.every((v) => typeof v === 'string')) {
        throw invalid(`Filters.${i}.Values must be a non-empty array of strings.`);
      }
      if (Name === 'Port' && !Values.every((v) => /^\d{1,5}$/.test(v as string))) throw invalid(`Filters.${i}.Values must be port numbers.`);
      filters.push({ name: Name, values: Values as string[] });
    });
  }
  return {
    uuid: uuid === undefined ? null : (uuid as string).toLowerCase(),
    processName: processName === undefined ? null : (processName as string),
    port: port === undefined ? null : (port as number),
    limit,
    offset,
    filters,
  };
}

function matches(record: ResultRecord, query: ResultQuery): boolean {
  if (query.processName !== null && record.ProcessName !== query.processName) return false;
  if (query.port !== null && (record as OpenPort).Port !== query.port) return false;
  return query.filters.every((f) => {
    const value = (record as unknown as Record<string, unknown>)[f.name];
    return f.values.includes(f.name === 'Port' ? String(value) : (value as string));
  });
}

/** The Response fields of DescribeProcesses / DescribeOpenPorts (without RequestId), or an ApiError. */
export function handleResults(agents: Agents, kind: TaskKind, body: string): Record<string, unknown> {
  const query = readQuery(kind, body);
  // A Uuid query reads one agent (nothing for an agent unknown or never collected: the reads document no
  // ResourceNotFound); a ProcessName or Port query reads every agent's last collection, in creation order.
  const sources = query.uuid !== null ? [agents.results(query.uuid, kind).items] : agents.allResults(kind);
  const found: ResultRecord[] = [];
  for (const records of sources) for (const record of records as ResultRecord[]) if (matches(record, query)) found.push(record);
  return { TotalCount: found.length, [SHAPE[kind].list]: found.slice(query.offset, query.offset + query.limit) };
}
