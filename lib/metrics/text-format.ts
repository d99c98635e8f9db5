// The Prometheus text exposition format (version 0.0.4), written by hand: a handful of gauges and counters per
// scrape need no registry, and the api function's bundle stays without a metrics library (docs/choices.md).

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4';

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

export interface Metric {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  samples: Sample[];
}

const escapeHelp = (s: string): string => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const escapeLabel = (s: string): string => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** One metric family: HELP, TYPE, then each sample (labels sorted, so the text is stable). */
export function renderMetric(m: Metric): string {
  const lines = [`# HELP ${m.name} ${escapeHelp(m.help)}`, `# TYPE ${m.name} ${m.type}`];
  for (const s of m.samples) {
    const keys = Object.keys(s.labels).sort();
    const labels = keys.length === 0 ? '' : `{${keys.map((k) => `${k}="${escapeLabel(s.labels[k]!)}"`).join(',')}}`;
    lines.push(`${m.name}${labels} ${formatValue(s.value)}`);
  }
  return lines.join('\n');
}

export function renderMetrics(metrics: readonly Metric[]): string {
  return metrics.map(renderMetric).join('\n') + '\n';
}
