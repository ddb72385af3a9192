/** Self-contained SVG charts for the benchmark reports (no fonts or scripts to fetch). */

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

export interface Bar {
  readonly label: string
  readonly value: number
  readonly note?: string
  readonly color?: string
}

export interface Series {
  readonly label: string
  readonly color: string
  readonly points: readonly (readonly [number, number])[]
}

/** Horizontal bars (left) and a line chart (right) in one SVG. */
export function benchmarkSvg(options: {
  title: string
  bars: readonly Bar[]
  barUnit: string
  lines?: { title: string; xLabel: string; yLabel: string; series: readonly Series[] }
}): string {
  const width = options.lines ? 1100 : 620
  const height = 60 + options.bars.length * 46 + 40
  const lineHeight = options.lines ? 360 : 0
  const h = Math.max(height, lineHeight)
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${h}" viewBox="0 0 ${width} ${h}" font-family="sans-serif" font-size="13">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="20" y="28" font-size="17" font-weight="bold">${esc(options.title)}</text>`,
  ]
  const max = Math.max(...options.bars.map((b) => b.value), 1)
  const barX = 250
  const barW = 300
  options.bars.forEach((b, i) => {
    const y = 55 + i * 46
    const w = Math.max(2, (b.value / max) * barW)
    out.push(`<text x="20" y="${y + 18}">${esc(b.label)}</text>`)
    out.push(
      `<rect x="${barX}" y="${y}" width="${w.toFixed(1)}" height="26" fill="${b.color ?? '#4a7bd0'}"/>`,
    )
    out.push(
      `<text x="${barX + w + 6}" y="${y + 18}">${esc(`${Math.round(b.value).toLocaleString('en-US')} ${options.barUnit}`)}${b.note ? ` ${esc(b.note)}` : ''}</text>`,
    )
  })
  if (options.lines) {
    const { series } = options.lines
    const x0 = 680
    const y0 = 300
    const pw = 380
    const ph = 230
    const xs = series.flatMap((s) => s.points.map((p) => p[0]))
    const ys = series.flatMap((s) => s.points.map((p) => p[1]))
    const xMax = Math.max(...xs, 1)
    const yMax = Math.max(...ys, 1) * 1.1
    const px = (x: number) => x0 + (Math.log2(x) / Math.log2(xMax)) * pw
    const py = (y: number) => y0 - (y / yMax) * ph
    out.push(`<text x="${x0}" y="55" font-weight="bold">${esc(options.lines.title)}</text>`)
    out.push(`<line x1="${x0}" y1="${y0}" x2="${x0 + pw}" y2="${y0}" stroke="#333"/>`)
    out.push(`<line x1="${x0}" y1="${y0}" x2="${x0}" y2="${y0 - ph}" stroke="#333"/>`)
    for (const x of [...new Set(xs)].sort((a, b) => a - b)) {
      out.push(`<text x="${px(x) - 6}" y="${y0 + 18}">${x}</text>`)
    }
    for (let k = 0; k <= 4; k++) {
      const v = (yMax / 4) * k
      out.push(`<text x="${x0 - 44}" y="${py(v) + 4}">${v.toFixed(v < 10 ? 2 : 0)}</text>`)
    }
    out.push(`<text x="${x0 + pw / 2 - 40}" y="${y0 + 38}">${esc(options.lines.xLabel)}</text>`)
    out.push(`<text x="${x0 - 50}" y="${y0 - ph - 12}">${esc(options.lines.yLabel)}</text>`)
    series.forEach((s, i) => {
      const pts = s.points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')
      out.push(`<polyline points="${pts}" fill="none" stroke="${s.color}" stroke-width="2.5"/>`)
      for (const [x, y] of s.points)
        out.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="4" fill="${s.color}"/>`)
      out.push(`<rect x="${x0 + 10}" y="${y0 - ph + 6 + i * 20}" width="12" height="12" fill="${s.color}"/>`)
      out.push(`<text x="${x0 + 28}" y="${y0 - ph + 17 + i * 20}">${esc(s.label)}</text>`)
    })
  }
  out.push('</svg>')
  return `${out.join('\n')}\n`
}
