import { useId, type ReactNode } from 'react';

/** Colours with at least 3:1 contrast on white (WCAG 1.4.11), told apart by legend order too. */
const PALETTE = ['#005eb8', '#007f3b', '#8a4b00', '#6b2c91', '#212b32', '#a00054'];

export interface Series {
  name: string;
  values: number[];
}

/**
 * A grouped bar chart in plain SVG: one group per category, one bar per series. Screen readers
 * get a summary and the same numbers as a table (WCAG 1.1.1), which sighted people can open too.
 */
export function BarChart({
  title,
  categories,
  series,
  format = (n) => String(n),
  height = 220,
}: {
  title: string;
  categories: string[];
  series: Series[];
  format?: (n: number) => string;
  height?: number;
}): ReactNode {
  const id = useId();
  const width = 640;
  const pad = { top: 16, right: 12, bottom: 40, left: 64 };
  const max = Math.max(1, ...series.flatMap((s) => s.values));
  const nice = niceMax(max);
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const groupW = plotW / Math.max(1, categories.length);
  const barW = Math.max(2, Math.min(28, (groupW * 0.8) / Math.max(1, series.length)));
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * nice);
  const total = series.reduce((a, s) => a + s.values.reduce((x, y) => x + y, 0), 0);
  return (
    <figure className="chart">
      <figcaption id={`${id}-t`}>{title}</figcaption>
      {series.length > 1 ? (
        <ul className="legend" aria-hidden="true">
          {series.map((s, i) => (
            <li key={s.name}>
              <span className="swatch" style={{ background: PALETTE[i % PALETTE.length] }} />
              {s.name}
            </li>
          ))}
        </ul>
      ) : null}
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-labelledby={`${id}-t ${id}-d`} preserveAspectRatio="xMidYMid meet">
        <desc id={`${id}-d`}>
          {`${categories.length} periods, ${series.map((s) => s.name).join(', ')}; total ${format(total)}. The data table below lists every value.`}
        </desc>
        {ticks.map((t) => {
          const y = pad.top + plotH - (t / nice) * plotH;
          return (
            <g key={t}>
              <line x1={pad.left} x2={width - pad.right} y1={y} y2={y} stroke="#d8dde0" />
              <text x={pad.left - 6} y={y + 4} textAnchor="end" fontSize="11" fill="#4c6272">
                {format(t)}
              </text>
            </g>
          );
        })}
        {categories.map((c, ci) => {
          const gx = pad.left + ci * groupW + (groupW - barW * series.length) / 2;
          return (
            <g key={c}>
              {series.map((s, si) => {
                const v = s.values[ci] ?? 0;
                const h = (v / nice) * plotH;
                return (
                  <rect
                    key={s.name}
                    x={gx + si * barW}
                    y={pad.top + plotH - h}
                    width={barW - 1}
                    height={Math.max(0, h)}
                    fill={PALETTE[si % PALETTE.length]}
                  >
                    <title>{`${s.name}, ${c}: ${format(v)}`}</title>
                  </rect>
                );
              })}
              <text x={pad.left + ci * groupW + groupW / 2} y={height - pad.bottom + 16} textAnchor="middle" fontSize="11" fill="#212b32">
                {c}
              </text>
            </g>
          );
        })}
        <line x1={pad.left} x2={width - pad.right} y1={pad.top + plotH} y2={pad.top + plotH} stroke="#4c6272" />
      </svg>
      <details>
        <summary>Show the data as a table</summary>
        <table>
          <caption className="visually-hidden">{title}</caption>
          <thead>
            <tr>
              <th scope="col">Period</th>
              {series.map((s) => (
                <th key={s.name} scope="col" className="num">
                  {s.name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {categories.map((c, ci) => (
              <tr key={c}>
                <th scope="row">{c}</th>
                {series.map((s) => (
                  <td key={s.name} className="num">
                    {format(s.values[ci] ?? 0)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}

function niceMax(n: number): number {
  const p = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= n) return m * p;
  return 10 * p;
}

/** Monday of the ISO week of a date, as YYYY-MM-DD: the bucket of "per week" charts. */
export function weekOf(d: Date): string {
  const x = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = (x.getUTCDay() + 6) % 7;
  x.setUTCDate(x.getUTCDate() - day);
  return x.toISOString().slice(0, 10);
}

/** The last `n` week buckets, oldest first. */
export function lastWeeks(n: number, now = new Date()): string[] {
  const out: string[] = [];
  for (let i = n - 1; i >= 0; i--) out.push(weekOf(new Date(now.getTime() - i * 7 * 86400_000)));
  return out;
}
