/**
 * `plproxy serve` against hostile or broken clients: random bytes, garbage
 * after a valid startup, truncated and oversized messages, malformed fields.
 * The server answers with an error or closes that connection, never crashes,
 * never leaks a session, and a normal client connected all along keeps
 * working (a proxy call on it after every case).
 */
import { connect } from 'node:net'
import fc from 'fast-check'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningServer } from '../../src/server/index.js'
import { sharedCluster, skipWithoutPostgres } from '../harness/shared-cluster.js'
import { waitFor } from '../runtime/integration/helpers.js'
import { createDigoal, type DigoalEnv, serveDigoal } from './serve-env.js'

const skip = skipWithoutPostgres('plproxy serve: robustness')

// ---- frontend messages ---------------------------------------------------------

const cstr = (s: string) => Buffer.concat([Buffer.from(s), Buffer.from([0])])
const i16 = (n: number) => {
  const b = Buffer.alloc(2)
  b.writeInt16BE(n)
  return b
}
const i32 = (n: number) => {
  const b = Buffer.alloc(4)
  b.writeInt32BE(n)
  return b
}
function frame(type: string, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts)
  return Buffer.concat([Buffer.from(type), i32(body.length + 4), body])
}
function startup(database: string, user = 'postgres'): Buffer {
  const body = Buffer.concat([
    i32(196608),
    cstr('user'),
    cstr(user),
    cstr('database'),
    cstr(database),
    Buffer.from([0]),
  ])
  return Buffer.concat([i32(body.length + 4), body])
}
const query = (sql: string) => frame('Q', cstr(sql))
const parse = (name: string, sql: string) => frame('P', cstr(name), cstr(sql), i16(0))
const bind = (portal: string, stmt: string, params: (string | null)[]) =>
  frame(
    'B',
    cstr(portal),
    cstr(stmt),
    i16(0),
    i16(params.length),
    ...params.map((p) => (p === null ? i32(-1) : Buffer.concat([i32(Buffer.byteLength(p)), Buffer.from(p)]))),
    i16(0),
  )
const execute = (portal: string) => frame('E', cstr(portal), i32(0))
const SYNC = frame('S')

// ---- backend messages ------------------------------------------------------------

interface BackendMessage {
  type: string
  body: Buffer
}

/** Splits the server's bytes into messages; throws when they are not well framed. */
function splitBackend(bytes: Buffer): BackendMessage[] {
  const out: BackendMessage[] = []
  let at = 0
  while (at < bytes.length) {
    if (at + 5 > bytes.length)
      throw new Error(`a backend message cut short at ${at}: ${bytes.subarray(at).toString('hex')}`)
    const type = String.fromCharCode(bytes[at]!)
    const len = bytes.readInt32BE(at + 1)
    if (len < 4 || at + 1 + len > bytes.length)
      throw new Error(`bad backend message length ${len} (type ${type})`)
    if (!/[A-Za-z0-9]/.test(type)) throw new Error(`bad backend message type ${bytes[at]}`)
    out.push({ type, body: bytes.subarray(at + 5, at + 1 + len) })
    at += 1 + len
  }
  return out
}

/** The fields of an ErrorResponse/NoticeResponse. */
function errorFields(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {}
  let at = 0
  while (at < body.length && body[at] !== 0) {
    const code = String.fromCharCode(body[at]!)
    const end = body.indexOf(0, at + 1)
    if (end < 0) throw new Error('an error field without its terminator')
    out[code] = body.toString('utf8', at + 1, end)
    at = end + 1
  }
  return out
}

/** Checks what the server sent back: well-framed messages, well-formed errors. */
function checkAnswer(data: Buffer): BackendMessage[] {
  // a lone 'N' answers an SSLRequest/GSSENCRequest that random bytes may spell
  let bytes = data
  while (bytes.length && (bytes[0] === 0x4e || bytes[0] === 0x53) && (bytes.length === 1 || bytes[1] !== 0)) {
    bytes = bytes.subarray(1)
  }
  const messages = splitBackend(bytes)
  for (const m of messages) {
    if (m.type === 'E') {
      const f = errorFields(m.body)
      expect(f.S, 'severity').toMatch(/^(ERROR|FATAL|PANIC)$/)
      expect(f.C, 'SQLSTATE').toMatch(/^[0-9A-Z]{5}$/)
      expect(f.M, 'message').toBeTruthy()
    }
  }
  return messages
}

interface Exchange {
  data: Buffer
  /** the server closed before we ended our side */
  closedByServer: boolean
  /** the connection was closed within the time after we ended our side */
  closed: boolean
}

/**
 * Connects, writes `chunks` (waiting `untilReady` for the first ReadyForQuery
 * after the first chunk when asked), lets the server answer for up to
 * `quietMs`, ends our side and waits for the close.
 */
function exchange(
  port: number,
  chunks: readonly Buffer[],
  o: { quietMs?: number; readyAfterFirst?: boolean; stepMs?: number } = {},
): Promise<Exchange> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1')
    const got: Buffer[] = []
    let closedByServer = false
    let ended = false
    let timer: NodeJS.Timeout | undefined
    const finish = (closed: boolean) => {
      clearTimeout(timer)
      resolve({ data: Buffer.concat(got), closedByServer, closed })
    }
    const endOurSide = () => {
      if (ended) return
      ended = true
      s.end()
      timer = setTimeout(() => {
        s.destroy()
        finish(false)
      }, 3000)
    }
    let quiet: NodeJS.Timeout | undefined
    const armQuiet = () => {
      clearTimeout(quiet)
      quiet = setTimeout(endOurSide, o.quietMs ?? 40)
    }
    let rest = [...chunks]
    s.on('connect', () => {
      if (o.readyAfterFirst) {
        s.write(rest.shift()!)
      } else {
        for (const c of rest) s.write(c)
        rest = []
        armQuiet()
      }
    })
    s.on('data', (d) => {
      got.push(d)
      if (o.readyAfterFirst && rest.length && Buffer.concat(got).includes(Buffer.from([0x5a, 0, 0, 0, 5]))) {
        const later = rest
        rest = []
        if (o.stepMs) {
          // one chunk at a time, stepMs apart
          later.forEach((c, i) => {
            setTimeout(() => {
              if (!s.destroyed) s.write(c)
              if (i === later.length - 1) armQuiet()
            }, i * o.stepMs!)
          })
          return
        }
        for (const c of later) s.write(c)
      }
      if (!rest.length) armQuiet()
    })
    s.on('end', () => {
      if (!ended) closedByServer = true
    })
    s.on('error', () => {})
    s.on('close', () => {
      clearTimeout(quiet)
      finish(true)
    })
  })
}

describe.skipIf(skip)('plproxy serve: robustness', () => {
  let env: DigoalEnv
  let server: RunningServer
  let normal: pg.Client
  let k = 0

  beforeAll(async () => {
    env = await createDigoal(sharedCluster(), 'srv_robust', { users: 100 })
    server = await serveDigoal(env)
    normal = new pg.Client({ host: '127.0.0.1', port: server.port, user: 'postgres', database: env.proxyDb })
    await normal.connect()
  })
  afterAll(async () => {
    await normal?.end()
    await server?.close({ graceful: false })
  })

  /** The normal client still works. */
  async function normalWorks(): Promise<void> {
    k = (k + 1) % env.users
    const r = await normal.query('select o_userid, o_engname from f_user_login($1)', [k])
    expect(r.rows).toEqual([{ o_userid: k, o_engname: `eng${k}` }])
  }

  /** No session left behind but the normal client's. */
  async function noLeaks(): Promise<void> {
    expect(
      await waitFor(async () => (await server.counters()).connectionsOpen === 1, 5000),
      `open: ${(await server.counters()).connectionsOpen}`,
    ).toBe(true)
  }

  describe('fixed cases', () => {
    it('an oversized startup length: closed at once, nothing sent (PostgreSQL logs it and closes)', async () => {
      const r = await exchange(server.port, [i32(0x7fffffff), Buffer.alloc(100)], { quietMs: 500 })
      expect(r.closedByServer).toBe(true)
      expect(r.data.length).toBe(0)
      await normalWorks()
    })

    it('a startup packet shorter than 8 bytes: closed', async () => {
      const r = await exchange(server.port, [i32(6), Buffer.from([0, 3])], { quietMs: 500 })
      expect(r.closedByServer).toBe(true)
      await normalWorks()
    })

    it('an unsupported protocol version: FATAL 0A000', async () => {
      const r = await exchange(server.port, [Buffer.concat([i32(8), i32(0x00020000)])], { quietMs: 500 })
      const [m] = checkAnswer(r.data)
      expect(errorFields(m!.body)).toMatchObject({ S: 'FATAL', C: '0A000' })
      expect(r.closedByServer).toBe(true)
    })

    it('a startup packet without its terminator: FATAL 08P01', async () => {
      const body = Buffer.concat([i32(196608), cstr('user'), cstr('postgres')])
      const r = await exchange(server.port, [Buffer.concat([i32(body.length + 4), body])], { quietMs: 500 })
      const [m] = checkAnswer(r.data)
      expect(errorFields(m!.body)).toMatchObject({ S: 'FATAL', C: '08P01' })
      expect(r.closedByServer).toBe(true)
    })

    it('no user in the startup packet: FATAL 28000', async () => {
      const body = Buffer.concat([i32(196608), cstr('database'), cstr(env.proxyDb), Buffer.from([0])])
      const r = await exchange(server.port, [Buffer.concat([i32(body.length + 4), body])], { quietMs: 500 })
      const [m] = checkAnswer(r.data)
      expect(errorFields(m!.body)).toMatchObject({
        S: 'FATAL',
        C: '28000',
        M: 'no PostgreSQL user name specified in startup packet',
      })
    })

    it('an oversized message length after startup: the connection is closed', async () => {
      const r = await exchange(
        server.port,
        [startup(env.proxyDb), Buffer.concat([Buffer.from('Q'), i32(0x7fffffff)])],
        {
          readyAfterFirst: true,
          quietMs: 500,
        },
      )
      expect(r.closedByServer).toBe(true)
      await normalWorks()
      await noLeaks()
    })

    it('a message length below 4: the connection is closed', async () => {
      const r = await exchange(
        server.port,
        [startup(env.proxyDb), Buffer.concat([Buffer.from('Q'), i32(3)])],
        {
          readyAfterFirst: true,
          quietMs: 500,
        },
      )
      expect(r.closedByServer).toBe(true)
      await noLeaks()
    })

    it('an unknown message type after startup: FATAL 08P01 and closed', async () => {
      const r = await exchange(server.port, [startup(env.proxyDb), frame('z', Buffer.from('xx'))], {
        readyAfterFirst: true,
        quietMs: 500,
      })
      const last = checkAnswer(r.data).at(-1)!
      expect(last.type).toBe('E')
      expect(errorFields(last.body)).toMatchObject({
        S: 'FATAL',
        C: '08P01',
        M: 'invalid frontend message type 122',
      })
      expect(r.closedByServer).toBe(true)
      await noLeaks()
    })

    // Protocol faults after which the session goes on: the same answer as PostgreSQL itself gives (the proxy
    // database, connected to directly with the same bytes), compared as message types, SQLSTATEs and whether
    // the connection was closed.
    const badBind = frame('B', cstr(''), cstr(''), i16(3), i16(0)) // 3 parameter formats, 0 parameters
    const sessionCases: [string, (db: string) => Buffer[], { stepMs?: number; readyAfterFirst?: boolean }][] =
      [
        [
          'a Query whose string lacks its terminator, then a good Query, in one packet',
          (db) => [
            startup(db),
            Buffer.concat([frame('Q', Buffer.from('select 1')), query('select 42 as answer')]),
          ],
          {},
        ],
        [
          'a Query whose string lacks its terminator, alone',
          (db) => [startup(db), frame('Q', Buffer.from('select 1'))],
          {},
        ],
        [
          'a malformed Bind, Execute and Sync in one packet',
          (db) => [
            startup(db),
            Buffer.concat([parse('', 'select $1::int as x'), badBind, execute(''), SYNC]),
          ],
          {},
        ],
        [
          'a malformed Bind, then Sync and a Query in later packets',
          (db) => [
            startup(db),
            Buffer.concat([parse('', 'select $1::int as x'), badBind]),
            SYNC,
            query('select 1'),
          ],
          { stepMs: 100 },
        ],
        [
          'a Describe of an unknown subtype, then Sync, in one packet',
          (db) => [
            startup(db),
            Buffer.concat([frame('D', Buffer.from('X'), cstr('')), SYNC, query('select 2')]),
          ],
          {},
        ],
        [
          'BEGIN, then a Parse the proxy database rejects, a malformed Bind and Sync in one packet, then a Query',
          (db) => [
            startup(db),
            query('begin'),
            Buffer.concat([parse('', 'select nosuch from pg_class'), badBind, SYNC]),
            query('select 1'),
          ],
          { stepMs: 100 },
        ],
        [
          'a Parse the proxy database rejects, then a Query without its terminator and Sync',
          (db) => [
            startup(db),
            Buffer.concat([
              parse('', 'select nosuch from pg_class'),
              frame('Q', Buffer.from('select 1')),
              SYNC,
            ]),
            query('select 2'),
          ],
          { stepMs: 100 },
        ],
        [
          'a malformed CopyFail outside COPY, then a Query',
          (db) => [startup(db), Buffer.concat([frame('f', Buffer.from('no terminator')), query('select 3')])],
          {},
        ],
        [
          'a Parse the proxy database rejects, a Sync with a body, then a good extended query',
          (db) => [
            startup(db),
            Buffer.concat([
              parse('', 'select nosuch from pg_class'),
              frame('S', Buffer.from([0])),
              parse('', 'select $1::int as x'),
              bind('', '', ['7']),
              execute(''),
              SYNC,
            ]),
          ],
          {},
        ],
        [
          'messages pipelined right behind the startup packet (trust)',
          (db) => [
            Buffer.concat([
              startup(db),
              parse('', 'select $1::int as x'),
              bind('', '', ['7']),
              execute(''),
              SYNC,
            ]),
          ],
          { readyAfterFirst: false },
        ],
      ]

    it.each(sessionCases)('%s: the same answer as PostgreSQL', async (_what, chunks, o) => {
      const summary = async (port: number) => {
        const r = await exchange(port, chunks(env.proxyDb), {
          readyAfterFirst: o.readyAfterFirst ?? true,
          stepMs: o.stepMs,
          quietMs: 300,
        })
        const messages = checkAnswer(r.data)
        const afterStartup = messages.slice(messages.findIndex((m) => m.type === 'K') + 2)
        return {
          types: afterStartup.map((m) => m.type).join(''),
          codes: afterStartup.filter((m) => m.type === 'E').map((m) => errorFields(m.body).C),
          closedByServer: r.closedByServer,
        }
      }
      const [real, ours] = [await summary(env.cluster.port), await summary(server.port)]
      expect(real.types).toMatch(/Z$/)
      expect(ours).toEqual(real)
    })

    it('a half-sent startup packet and a dropped connection leave no session behind', async () => {
      const full = startup(env.proxyDb)
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          exchange(server.port, [full.subarray(0, 1 + (i % (full.length - 1)))]),
        ),
      )
      await normalWorks()
      await noLeaks()
    })

    it('a client that vanishes in the middle of a call leaves no session behind', async () => {
      const r = await exchange(
        server.port,
        [Buffer.concat([startup(env.proxyDb), query('select f_sleep(1, 0.3)')])],
        {
          quietMs: 20,
        },
      )
      expect(r.closed).toBe(true)
      await normalWorks()
      await noLeaks()
    })
  })

  describe('properties (fast-check)', () => {
    const RUNS = 40

    it('random bytes as the first bytes of a connection', async () => {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 400 }), async (bytes) => {
          const r = await exchange(server.port, [Buffer.from(bytes)])
          checkAnswer(r.data)
          expect(r.closed).toBe(true)
          await normalWorks()
        }),
        { numRuns: RUNS },
      )
      await noLeaks()
    })

    it('random bytes after a valid startup (sent with it, or after ReadyForQuery)', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.uint8Array({ minLength: 1, maxLength: 400 }),
          fc.boolean(),
          async (bytes, waitForReady) => {
            const chunks = waitForReady
              ? [startup(env.proxyDb), Buffer.from(bytes)]
              : [Buffer.concat([startup(env.proxyDb), Buffer.from(bytes)])]
            const r = await exchange(server.port, chunks, { readyAfterFirst: waitForReady })
            checkAnswer(r.data)
            expect(r.closed).toBe(true)
            await normalWorks()
          },
        ),
        { numRuns: RUNS },
      )
      await noLeaks()
    })

    it('well-framed messages of every frontend type with random bodies', async () => {
      const types = ['Q', 'P', 'B', 'D', 'E', 'C', 'S', 'H', 'F', 'd', 'c', 'f', 'p']
      const message = fc
        .tuple(fc.constantFrom(...types), fc.uint8Array({ maxLength: 60 }))
        .map(([t, body]) => frame(t, Buffer.from(body)))
      await fc.assert(
        fc.asyncProperty(
          fc.array(message, { minLength: 1, maxLength: 8 }),
          fc.boolean(),
          async (messages, sync) => {
            const r = await exchange(
              server.port,
              [startup(env.proxyDb), Buffer.concat([...messages, ...(sync ? [SYNC] : [])])],
              {
                readyAfterFirst: true,
              },
            )
            checkAnswer(r.data)
            expect(r.closed).toBe(true)
            await normalWorks()
          },
        ),
        { numRuns: RUNS },
      )
      await noLeaks()
    })

    it('a valid conversation cut short at any byte', async () => {
      const conversation = Buffer.concat([
        startup(env.proxyDb),
        query('select * from f_user_login(5)'),
        parse('s1', 'select o_userid from f_user_login($1)'),
        bind('', 's1', ['6']),
        execute(''),
        SYNC,
        query('select 1'),
      ])
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: conversation.length - 1 }), async (cut) => {
          const r = await exchange(server.port, [conversation.subarray(0, cut)])
          checkAnswer(r.data)
          expect(r.closed).toBe(true)
          await normalWorks()
        }),
        { numRuns: RUNS },
      )
      await noLeaks()
    })

    it('oversized or negative length words, in the startup packet or a typed message', async () => {
      const length = fc.oneof(
        fc.integer({ min: 0x40000000, max: 0x7fffffff }),
        fc.integer({ min: -0x80000000, max: 3 }),
        // above PostgreSQL's limits for a startup packet (10000 + the length word) and for small messages (10000)
        fc.integer({ min: 10_005, max: 100_000 }),
      )
      await fc.assert(
        fc.asyncProperty(
          length,
          fc.constantFrom('startup', 'Q', 'P', 'B', 'S', 'X', 'H'),
          async (len, where) => {
            const chunks =
              where === 'startup'
                ? [Buffer.concat([i32(len), i32(196608), Buffer.alloc(20)])]
                : [startup(env.proxyDb), Buffer.concat([Buffer.from(where), i32(len), Buffer.alloc(20)])]
            const r = await exchange(server.port, chunks, {
              readyAfterFirst: where !== 'startup',
              quietMs: 150,
            })
            checkAnswer(r.data)
            // nothing this long is ever accepted: the server must not sit waiting for the rest
            if (
              where === 'startup' ||
              len < 4 ||
              len > 0x3ffffffe ||
              (where !== 'Q' && where !== 'P' && where !== 'B')
            ) {
              expect(r.closedByServer, `length ${len} in ${where}`).toBe(true)
            }
            await normalWorks()
          },
        ),
        { numRuns: RUNS },
      )
      await noLeaks()
    })
  })
})
