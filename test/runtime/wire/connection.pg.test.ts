/**
 * WireConnection against the shared PostgreSQL 15: startup over TCP and a
 * unix socket, text and raw rows, server errors with every field, notices,
 * the one-query-at-a-time rule, cancel, a backend that dies mid-query,
 * relay mode and libpq's connection errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  B,
  connectWire,
  dataRowValues,
  parseDataRowText,
  type WireConnection,
  type WireNotice,
  WireServerError,
} from '../../../src/runtime/wire/index.js'
import type { PgCluster } from '../../harness/pg-cluster.js'
import { sharedCluster, skipWithoutPostgres, uniqueDbName } from '../../harness/shared-cluster.js'
import { closedPort, rejection, sleep, socketsTo, waitFor } from '../integration/helpers.js'

const skip = skipWithoutPostgres('the wire-protocol client against PostgreSQL')

describe.skipIf(skip)('WireConnection against PostgreSQL', () => {
  let pgc: PgCluster
  let db: string
  const open: WireConnection[] = []

  const connect = async (extra: Parameters<typeof connectWire>[0] = {}, signal?: AbortSignal) => {
    const c = await connectWire(
      { host: pgc.host, port: pgc.port, user: 'postgres', database: db, ...extra },
      signal,
    )
    open.push(c)
    return c
  }

  beforeAll(async () => {
    pgc = sharedCluster()
    db = uniqueDbName('wire')
    await pgc.createDatabase(db)
    await pgc.query(
      db,
      `create table t (id int primary key, name text not null, note text);
       insert into t values (1, 'one', null), (2, 'zwei ✓', 'n');
       create function chatty() returns int language plpgsql as $$
       begin
         raise notice 'hello %', 1 using detail = 'd', hint = 'h';
         raise warning 'careful';
         return 7;
       end $$;
       create function boom() returns int language plpgsql as $$
       begin raise exception 'boom' using errcode = 'P0001', detail = 'the detail', hint = 'the hint',
         schema = 's', table = 'tt', column = 'c', datatype = 'dt', constraint = 'k'; end $$;`,
    )
  })

  afterAll(async () => {
    for (const c of open) c.destroy()
  })

  it('logs in over TCP: backend key, parameters, idle transaction status', async () => {
    const c = await connect({ parameters: { application_name: 'wire-test' } })
    expect(c.processId).toBeGreaterThan(0)
    expect(c.processID).toBe(c.processId)
    expect(c.secretKey).not.toBe(0)
    expect(c.parameters.get('server_version')).toMatch(/^15\./)
    expect(c.parameters.get('client_encoding')).toBe('UTF8')
    expect(c.parameters.get('application_name')).toBe('wire-test')
    expect(c.transactionStatus).toBe('I')
    expect(c.closed).toBe(false)
    const r = await c.query('select pg_backend_pid()::text, current_database()::text, current_user::text')
    expect(r.rows).toEqual([[String(c.processId), db, 'postgres']])
    await c.end()
    expect(c.closed).toBe(true)
  })

  it('logs in over a unix socket (host = the socket directory)', async () => {
    const c = await connect({ host: pgc.socketDir })
    expect((await c.query('select 1')).rows).toEqual([['1']])
    // the backend sees a local connection: no client address
    expect((await c.query('select inet_client_addr()')).rows).toEqual([[null]])
  })

  it('sends startup options (-c settings) to the server', async () => {
    const c = await connect({
      parameters: { options: '-c search_path=pg_catalog,public -c work_mem=1234kB' },
    })
    expect((await c.query('show work_mem')).rows).toEqual([['1234kB']])
    expect((await c.query('show search_path')).rows).toEqual([['pg_catalog,public']])
  })

  it('text rows with parameters: NULL, UTF-8, field metadata, command tag', async () => {
    const c = await connect()
    const r = await c.query('select id, name, note from t where id >= $1::int order by id', ['1'])
    expect(r.rows).toEqual([
      ['1', 'one', null],
      ['2', 'zwei ✓', 'n'],
    ])
    expect(r.command).toBe('SELECT 2')
    const tableOid = (await c.query("select 't'::regclass::oid::text")).rows[0]![0]
    expect(r.fields.map((f) => ({ ...f }))).toEqual([
      {
        name: 'id',
        tableOid: Number(tableOid),
        columnAttr: 1,
        typeOid: 23,
        typeSize: 4,
        typmod: -1,
        format: 0,
      },
      {
        name: 'name',
        tableOid: Number(tableOid),
        columnAttr: 2,
        typeOid: 25,
        typeSize: -1,
        typmod: -1,
        format: 0,
      },
      {
        name: 'note',
        tableOid: Number(tableOid),
        columnAttr: 3,
        typeOid: 25,
        typeSize: -1,
        typmod: -1,
        format: 0,
      },
    ])
    const p = await c.query('select $1::text as a, $2::text as b, $3::varchar(5) as c', [
      null,
      Buffer.from('bytes ✓'),
      'αβγ',
    ])
    expect(p.rows).toEqual([[null, 'bytes ✓', 'αβγ']])
    expect(p.fields[2]).toMatchObject({ name: 'c', typeOid: 1043, typmod: 9 })
    // the same statement again reuses its cached Parse and fields
    const again = await c.query('select id, name, note from t where id >= $1::int order by id', ['2'])
    expect(again.fields).toBe(r.fields)
    expect(again.rows).toEqual([['2', 'zwei ✓', 'n']])
  })

  it('other commands: NoData, empty query, INSERT tag, transaction status', async () => {
    const c = await connect()
    expect(await c.query('begin')).toMatchObject({ fields: [], rows: [], command: 'BEGIN' })
    expect(c.transactionStatus).toBe('T')
    expect((await c.query('insert into t values ($1, $2)', ['10', 'ten'])).command).toBe('INSERT 0 1')
    await rejection(c.query('select 1/0'))
    expect(c.transactionStatus).toBe('E')
    expect((await c.query('rollback')).command).toBe('ROLLBACK')
    expect(c.transactionStatus).toBe('I')
    expect(await c.query('')).toMatchObject({ fields: [], rows: [], command: '' })
    expect((await c.query('select count(*) from t where id = 10')).rows).toEqual([['0']])
  })

  it('raw rows are the DataRow messages themselves', async () => {
    const c = await connect()
    const r = await c.query('select id, name, note from t order by id', [], { raw: true })
    expect(r.rows).toHaveLength(2)
    const [first, second] = r.rows as [Buffer, Buffer]
    expect(first[0]).toBe(B.DataRow)
    expect(first.readInt32BE(1)).toBe(first.length - 1)
    expect(dataRowValues(first).map((v) => v?.toString())).toEqual(['1', 'one', undefined])
    expect(dataRowValues(first)[2]).toBeNull()
    expect(parseDataRowText(second, 0, second.length)).toEqual(['2', 'zwei ✓', 'n'])
    expect(r.fields.map((f) => f.name)).toEqual(['id', 'name', 'note'])
  })

  it('rows larger than a socket chunk, and many rows', async () => {
    const c = await connect()
    const big = await c.query("select repeat('x', $1::int), 'end'", ['3000000'])
    expect(big.rows[0]![0]).toHaveLength(3_000_000)
    expect(big.rows[0]![1]).toBe('end')
    const many = await c.query('select g, md5(g::text) from generate_series(1, 20000) g')
    expect(many.rows).toHaveLength(20000)
    expect(many.rows[19999]).toEqual(['20000', expect.stringMatching(/^[0-9a-f]{32}$/)])
    const raw = await c.query('select g from generate_series(1, 20000) g', [], { raw: true })
    expect(raw.rows.map((m) => dataRowValues(m)[0]!.toString())).toEqual(
      Array.from({ length: 20000 }, (_, i) => String(i + 1)),
    )
  })

  it('a server error carries every field, arrives after ReadyForQuery, and the connection stays usable', async () => {
    const c = await connect()
    const e = (await rejection(c.query('select boom()'))) as unknown as WireServerError
    expect(e).toBeInstanceOf(WireServerError)
    expect(e).toBeInstanceOf(Error)
    expect({ ...e, message: e.message }).toMatchObject({
      severity: 'ERROR',
      severityNonLocalized: 'ERROR',
      code: 'P0001',
      message: 'boom',
      detail: 'the detail',
      hint: 'the hint',
      where: 'PL/pgSQL function boom() line 2 at RAISE',
      schema: 's',
      table: 'tt',
      column: 'c',
      dataType: 'dt',
      constraint: 'k',
      file: 'pl_exec.c',
      routine: 'exec_stmt_raise',
    })
    expect(e.line).toMatch(/^\d+$/)
    expect(c.transactionStatus).toBe('I')
    const syntax = (await rejection(c.query('select 1 from from'))) as unknown as WireServerError
    expect({ code: syntax.code, message: syntax.message, position: syntax.position }).toEqual({
      code: '42601',
      message: 'syntax error at or near "from"',
      position: '15',
    })
    const inner = (await rejection(
      c.query("do $$ begin execute 'select * from nowhere'; end $$"),
    )) as unknown as WireServerError
    expect({ internalQuery: inner.internalQuery, internalPosition: inner.internalPosition }).toEqual({
      internalQuery: 'select * from nowhere',
      internalPosition: '15',
    })
    expect((await c.query('select 1')).rows).toEqual([['1']])
  })

  it('notices go to onNotice in order, before the query settles; a throwing listener is survived', async () => {
    const c = await connect()
    const seen: string[] = []
    c.onNotice = (n: WireNotice) => seen.push(`${n.severity} ${n.code} ${n.message} ${n.detail} ${n.hint}`)
    const r = c.query('select chatty()').then((x) => {
      seen.push('result')
      return x
    })
    expect((await r).rows).toEqual([['7']])
    expect(seen).toEqual(['NOTICE 00000 hello 1 d h', 'WARNING 01000 careful undefined undefined', 'result'])
    c.onNotice = () => {
      throw new Error('listener failed')
    }
    const warnings: string[] = []
    const onWarning = (w: Error) => warnings.push(w.message)
    process.on('warning', onWarning)
    try {
      expect((await c.query('select chatty()')).rows).toEqual([['7']])
      await sleep(10)
    } finally {
      process.off('warning', onWarning)
    }
    expect(warnings.some((w) => w.includes('listener failed'))).toBe(true)
  })

  it('one query at a time: a second concurrent query is rejected, the first one is not disturbed', async () => {
    const c = await connect()
    const first = c.query('select pg_sleep(0.1), 1')
    const second = await rejection(c.query('select 2'))
    expect(second.message).toBe('another query is in progress on this connection')
    expect((await first).rows).toEqual([['', '1']])
    expect((await c.query('select 3')).rows).toEqual([['3']])
  })

  it('cancel() sends a CancelRequest: the running query fails with 57014', async () => {
    const c = await connect()
    const running = rejection(c.query('select pg_sleep(30)'))
    await sleep(100)
    const started = Date.now()
    await c.cancel()
    const e = (await running) as unknown as WireServerError
    expect(e.code).toBe('57014')
    expect(e.message).toBe('canceling statement due to user request')
    expect(Date.now() - started).toBeLessThan(5000)
    expect((await c.query('select 1')).rows).toEqual([['1']])
    // over a unix socket too
    const u = await connect({ host: pgc.socketDir })
    const sleeping = rejection(u.query('select pg_sleep(30)'))
    await sleep(100)
    await u.cancel()
    expect(((await sleeping) as unknown as WireServerError).code).toBe('57014')
  })

  it('a backend terminated mid-query: the FATAL error rejects the query, then the connection closes', async () => {
    const c = await connect()
    let closedWith: Error | undefined | null = null
    c.onClose = (cause) => {
      closedWith = cause
    }
    const running = rejection(c.query('select pg_sleep(30)'))
    await sleep(100)
    await pgc.query('postgres', 'select pg_terminate_backend($1)', [c.processId])
    const e = (await running) as unknown as WireServerError
    expect({ code: e.code, severity: e.severity, message: e.message }).toEqual({
      code: '57P01',
      severity: 'FATAL',
      message: 'terminating connection due to administrator command',
    })
    expect(await waitFor(async () => c.closed)).toBe(true)
    expect(closedWith).toBeUndefined()
    expect((await rejection(c.query('select 1'))).message).toBe('no connection to the server')
  })

  it('an idle backend terminated: onClose gets the FATAL error', async () => {
    const c = await connect()
    const closed = new Promise<Error | undefined>((resolve) => {
      c.onClose = resolve
    })
    await pgc.query('postgres', 'select pg_terminate_backend($1)', [c.processId])
    const cause = (await closed) as WireServerError
    expect(cause.code).toBe('57P01')
    expect(c.closed).toBe(true)
  })

  it('startup errors: a missing database is a WireServerError with severity FATAL', async () => {
    const e = (await rejection(
      connectWire({ host: pgc.host, port: pgc.port, user: 'postgres', database: 'no_such_db_wire' }),
    )) as unknown as WireServerError
    expect(e).toBeInstanceOf(WireServerError)
    expect({ severity: e.severity, code: e.code, message: e.message }).toEqual({
      severity: 'FATAL',
      code: '3D000',
      message: 'database "no_such_db_wire" does not exist',
    })
  })

  it('socket errors pass through as Node errno errors', async () => {
    const port = await closedPort()
    const refused = (await rejection(
      connectWire({ host: '127.0.0.1', port, user: 'x' }),
    )) as NodeJS.ErrnoException
    expect(refused.code).toBe('ECONNREFUSED')
    const missing = (await rejection(
      connectWire({ host: '/nonexistent-dir', port: 5432, user: 'x' }),
    )) as NodeJS.ErrnoException
    expect(missing.code).toBe('ENOENT')
    expect(socketsTo(port)).toBe(0)
  })

  it('sslmode require against a server without TLS fails as libpq does; prefer falls back to plain', async () => {
    const e = await rejection(connect({ sslmode: 'require' }))
    expect(e.message).toBe('server does not support SSL, but SSL was required')
    const c = await connect({ sslmode: 'prefer' })
    expect(c.tlsInUse).toBe(false)
    expect((await c.query('select 1')).rows).toEqual([['1']])
  })

  it('an abort signal ends a connection attempt', async () => {
    const ac = new AbortController()
    ac.abort(new Error('why'))
    expect((await rejection(connect({}, ac.signal))).name).toBe('AbortError')
  })

  it('relay mode hands over raw backend messages; writeRaw sends client bytes untouched', async () => {
    const c = await connect()
    const seen: { type: string; message: Buffer }[] = []
    const done = new Promise<void>((resolve) => {
      c.setRelay((type, message) => {
        seen.push({ type: String.fromCharCode(type), message: Buffer.from(message) })
        if (type === B.ReadyForQuery) {
          c.setRelay(undefined)
          resolve()
        }
      })
    })
    expect(c.relaying).toBe(true)
    expect((await rejection(c.query('select 1'))).message).toBe(
      'another query is in progress on this connection',
    )
    // a simple-protocol query written by "a client"
    const sql = Buffer.from("select 'a' as x union all select 'b'\0")
    const q = Buffer.alloc(5 + sql.length)
    q.write('Q', 0)
    q.writeInt32BE(4 + sql.length, 1)
    sql.copy(q, 5)
    c.writeRaw(q)
    await done
    expect(seen.map((m) => m.type).join('')).toBe('TDDCZ')
    expect(dataRowValues(seen[1]!.message)[0]!.toString()).toBe('a')
    for (const m of seen) expect(m.message.readInt32BE(1)).toBe(m.message.length - 1)
    // relay off: interpreted again
    expect(c.relaying).toBe(false)
    expect((await c.query('select 2')).rows).toEqual([['2']])
  })
})
