/**
 * Counters of the wire server: calls, errors and latency per proxy
 * function and per partition, connections; readable as rows
 * (`SHOW plproxy.stats`) and in Prometheus's text format (`/metrics`).
 */

/** Latency histogram bounds, seconds. */
export const BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const

/** A Timing as plain data (sent between worker processes). */
export interface TimingData {
  calls: number
  errors: number
  seconds: number
  max: number
  buckets: number[]
}

/** ServerStats as plain data: what a worker process reports, what the primary sums. */
export interface StatsSnapshot {
  connectionsOpen: number
  connectionsTotal: number
  connectionsRejected: number
  forwardedStatements: number
  functions: [string, TimingData][]
  partitions: [PartitionKey, TimingData][]
}

class Timing implements TimingData {
  calls = 0
  errors = 0
  seconds = 0
  max = 0
  readonly buckets = new Array<number>(BUCKETS.length).fill(0)

  record(seconds: number, error: boolean): void {
    this.calls++
    if (error) this.errors++
    this.seconds += seconds
    if (seconds > this.max) this.max = seconds
    for (let i = 0; i < BUCKETS.length; i++) {
      if (seconds <= BUCKETS[i]!) {
        this.buckets[i]!++
        break
      }
    }
  }

  add(other: TimingData): void {
    this.calls += other.calls
    this.errors += other.errors
    this.seconds += other.seconds
    if (other.max > this.max) this.max = other.max
    other.buckets.forEach((n, i) => {
      this.buckets[i] = (this.buckets[i] ?? 0) + n
    })
  }
}

export interface PartitionKey {
  readonly cluster: string
  readonly partition: number
  readonly database: string
}

/** One row of `SHOW plproxy.stats`. */
export interface StatsRow {
  readonly scope: 'function' | 'partition' | 'server'
  readonly name: string
  readonly calls: number
  readonly errors: number
  readonly totalMs: number
  readonly meanMs: number
  readonly maxMs: number
}

export class ServerStats {
  readonly startedAt = Date.now()
  connectionsOpen = 0
  connectionsTotal = 0
  connectionsRejected = 0
  forwardedStatements = 0
  private readonly functions = new Map<string, Timing>()
  private readonly partitions = new Map<string, { key: PartitionKey; timing: Timing }>()

  functionCall(name: string, seconds: number, error: boolean): void {
    let t = this.functions.get(name)
    if (!t) {
      t = new Timing()
      this.functions.set(name, t)
    }
    t.record(seconds, error)
  }

  partitionQuery(key: PartitionKey, seconds: number, error: boolean): void {
    const id = `${key.cluster}\u0000${key.partition}`
    let p = this.partitions.get(id)
    if (!p) {
      p = { key, timing: new Timing() }
      this.partitions.set(id, p)
    }
    p.timing.record(seconds, error)
  }

  snapshot(): StatsSnapshot {
    const copy = (t: Timing): TimingData => ({
      calls: t.calls,
      errors: t.errors,
      seconds: t.seconds,
      max: t.max,
      buckets: [...t.buckets],
    })
    return {
      connectionsOpen: this.connectionsOpen,
      connectionsTotal: this.connectionsTotal,
      connectionsRejected: this.connectionsRejected,
      forwardedStatements: this.forwardedStatements,
      functions: [...this.functions].map(([name, t]) => [name, copy(t)]),
      partitions: [...this.partitions.values()].map((p) => [p.key, copy(p.timing)]),
    }
  }

  /** The sum of several processes' counters. */
  static merge(snapshots: readonly StatsSnapshot[]): ServerStats {
    const out = new ServerStats()
    for (const s of snapshots) {
      out.connectionsOpen += s.connectionsOpen
      out.connectionsTotal += s.connectionsTotal
      out.connectionsRejected += s.connectionsRejected
      out.forwardedStatements += s.forwardedStatements
      for (const [name, t] of s.functions) {
        let mine = out.functions.get(name)
        if (!mine) {
          mine = new Timing()
          out.functions.set(name, mine)
        }
        mine.add(t)
      }
      for (const [key, t] of s.partitions) {
        const id = `${key.cluster}\u0000${key.partition}`
        let mine = out.partitions.get(id)
        if (!mine) {
          mine = { key, timing: new Timing() }
          out.partitions.set(id, mine)
        }
        mine.timing.add(t)
      }
    }
    return out
  }

  rows(): StatsRow[] {
    const row = (scope: StatsRow['scope'], name: string, t: Timing): StatsRow => ({
      scope,
      name,
      calls: t.calls,
      errors: t.errors,
      totalMs: round3(t.seconds * 1000),
      meanMs: t.calls ? round3((t.seconds * 1000) / t.calls) : 0,
      maxMs: round3(t.max * 1000),
    })
    const out: StatsRow[] = [
      {
        scope: 'server',
        name: 'connections',
        calls: this.connectionsTotal,
        errors: this.connectionsRejected,
        totalMs: 0,
        meanMs: 0,
        maxMs: 0,
      },
    ]
    for (const [name, t] of [...this.functions].sort(([a], [b]) => a.localeCompare(b))) {
      out.push(row('function', name, t))
    }
    const parts = [...this.partitions.values()].sort(
      (a, b) => a.key.cluster.localeCompare(b.key.cluster) || a.key.partition - b.key.partition,
    )
    for (const p of parts) {
      out.push(row('partition', `${p.key.cluster}[${p.key.partition}] ${p.key.database}`, p.timing))
    }
    return out
  }

  /** Prometheus's text exposition format (version 0.0.4). */
  prometheus(): string {
    const lines: string[] = []
    const metric = (name: string, type: string, help: string) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`)
    }
    metric('plproxy_connections', 'gauge', 'Client connections open now.')
    lines.push(`plproxy_connections ${this.connectionsOpen}`)
    metric('plproxy_connections_total', 'counter', 'Client connections accepted.')
    lines.push(`plproxy_connections_total ${this.connectionsTotal}`)
    metric('plproxy_connections_rejected_total', 'counter', 'Client connections refused (limit, shutdown).')
    lines.push(`plproxy_connections_rejected_total ${this.connectionsRejected}`)
    metric('plproxy_forwarded_statements_total', 'counter', 'Statements forwarded to the proxy database.')
    lines.push(`plproxy_forwarded_statements_total ${this.forwardedStatements}`)
    const timings = (
      prefix: string,
      what: string,
      entries: readonly { labels: string; t: Timing }[],
    ): void => {
      metric(`${prefix}_calls_total`, 'counter', `${what} calls.`)
      for (const e of entries) lines.push(`${prefix}_calls_total{${e.labels}} ${e.t.calls}`)
      metric(`${prefix}_errors_total`, 'counter', `${what} calls that failed.`)
      for (const e of entries) lines.push(`${prefix}_errors_total{${e.labels}} ${e.t.errors}`)
      metric(`${prefix}_duration_seconds`, 'histogram', `${what} call latency.`)
      for (const e of entries) {
        let cumulative = 0
        BUCKETS.forEach((le, i) => {
          cumulative += e.t.buckets[i]!
          lines.push(`${prefix}_duration_seconds_bucket{${e.labels},le="${le}"} ${cumulative}`)
        })
        lines.push(`${prefix}_duration_seconds_bucket{${e.labels},le="+Inf"} ${e.t.calls}`)
        lines.push(`${prefix}_duration_seconds_sum{${e.labels}} ${e.t.seconds}`)
        lines.push(`${prefix}_duration_seconds_count{${e.labels}} ${e.t.calls}`)
      }
    }
    timings(
      'plproxy_function',
      'Proxy function',
      [...this.functions].map(([name, t]) => ({ labels: `function="${label(name)}"`, t })),
    )
    timings(
      'plproxy_partition',
      'Remote query',
      [...this.partitions.values()].map((p) => ({
        labels: `cluster="${label(p.key.cluster)}",partition="${p.key.partition}",database="${label(p.key.database)}"`,
        t: p.timing,
      })),
    )
    return `${lines.join('\n')}\n`
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000
}

/** A label value escaped as Prometheus wants it. */
function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}
