// A bar chart in plain SVG (docs/choices.md says why not a library): bars scaled to the largest value, a few
// axis labels, each bar's value on hover (a <title>) and the same numbers as a table for screen readers and
// keyboards. Sizes are SVG attributes in a viewBox, so the strict CSP (no inline style) holds and it scales to
// any width.
import type { Bar } from './chart-data';

const W = 600;
const H = 160;
const PAD = { left: 34, right: 8, top: 10, bottom: 24 };

export function BarChart({ title, bars, label, unit }: { title: string; bars: Bar[]; label: (at: string) => string; unit: (n: number) => string }) {
  const max = Math.max(1, ...bars.map((b) => b.value));
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const step = innerW / Math.max(1, bars.length);
  const gap = Math.min(4, step * 0.2);
  const total = bars.reduce((n, b) => n + b.value, 0);
  const id = title.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  const labelEvery = Math.ceil(bars.length / 8);
  return (
    <figure class="chart">
      <figcaption id={`${id}-caption`}>{title}</figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby={`${id}-caption`} aria-describedby={`${id}-summary`} preserveAspectRatio="none">
        <line class="axis" x1={PAD.left} y1={PAD.top + innerH} x2={W - PAD.right} y2={PAD.top + innerH} />
        <text class="tick" x={PAD.left - 4} y={PAD.top + 8} text-anchor="end">{max}</text>
        <text class="tick" x={PAD.left - 4} y={PAD.top + innerH} text-anchor="end">0</text>
        {bars.map((b, i) => {
          const h = (b.value / max) * innerH;
          const x = PAD.left + i * step + gap / 2;
          return (
            <g key={b.at}>
              <rect class="bar" x={x} y={PAD.top + innerH - h} width={Math.max(1, step - gap)} height={h}>
                <title>{`${label(b.at)}: ${unit(b.value)}`}</title>
              </rect>
              {i % labelEvery === 0 ? <text class="tick" x={x + (step - gap) / 2} y={H - 6} text-anchor="middle">{label(b.at)}</text> : null}
            </g>
          );
        })}
      </svg>
      <p id={`${id}-summary`} class="muted">{unit(total)} in all; at most {unit(max)} in one bar.</p>
      <details>
        <summary>The numbers</summary>
        <table>
          <thead><tr><th scope="col">From</th><th scope="col">Count</th></tr></thead>
          <tbody>{bars.map((b) => <tr key={b.at}><td>{label(b.at)}</td><td>{b.value}</td></tr>)}</tbody>
        </table>
      </details>
    </figure>
  );
}
