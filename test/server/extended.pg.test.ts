/**
 * The extended query protocol through plproxy serve, message by message:
 * Parse/Bind/Describe/Execute/Sync with named and unnamed statements and
 * portals, Describe before Bind, text and binary parameters and results,
 * row limits (PortalSuspended), Close, errors skipping to Sync, and a batch
 * mixing proxy calls with statements forwarded to the proxy database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningServer } from '../../src/server/index.js'
import { sharedCluster, skipWithoutPostgres } from '../harness/shared-cluster.js'
import { RawClient, serialize, summary } from './raw-client.js'
import { createDigoal, type DigoalEnv, serveDigoal } from './serve-env.js'

const skip = skipWithoutPostgres('the extended protocol through plproxy serve')

describe.skipIf(skip)('extended protocol', () => {
  let env: DigoalEnv
  let server: RunningServer
  let c: RawClient

  beforeAll(async () => {
    env = await createDigoal(sharedCluster(), 'srv_ext', { users: 200 })
    server = await serveDigoal(env)
    c = await RawClient.open(server.port, env.cluster.user, env.proxyDb)
  })
  afterAll(async () => {
    c?.end()
    await server?.close()
  })

  it('describes a statement before Bind from the function signature, then runs it', async () => {
    c.send(
      serialize.parse({ name: 'login', text: 'select * from f_user_login($1)', types: [] }),
      serialize.describe({ type: 'S', name: 'login' }),
      serialize.sync(),
    )
    const described = await c.until('readyForQuery')
    expect(described.map((m) => m.name)).toEqual([
      'parseComplete',
      'parameterDescription',
      'rowDescription',
      'readyForQuery',
    ])
    const params = described[1] as unknown as { dataTypeIDs: number[] }
    expect(params.dataTypeIDs).toEqual([23])
    const rd = described[2] as unknown as { fields: { name: string; dataTypeID: number }[] }
    expect(rd.fields.map((f) => [f.name, f.dataTypeID])).toEqual([
      ['o_userid', 23],
      ['o_engname', 25],
      ['o_cnname', 25],
      ['o_occupation', 25],
      ['o_birthday', 1082],
      ['o_signname', 25],
      ['o_email', 25],
      ['o_qq', 1700],
    ])
    c.send(
      serialize.bind({ statement: 'login', values: ['42'] }),
      serialize.execute({}),
      serialize.bind({ statement: 'login', values: ['43'] }),
      serialize.execute({}),
      serialize.sync(),
    )
    const out = summary(await c.until('readyForQuery'))
    expect(out[0]).toBe('bindComplete')
    expect(out[1]).toMatch(/^dataRow \["42","eng42"/)
    expect(out[2]).toBe('commandComplete SELECT 1')
    expect(out[4]).toMatch(/^dataRow \["43","eng43"/)
  })

  it('stops at the row limit with PortalSuspended and resumes', async () => {
    c.send(
      serialize.parse({ text: 'select * from f_users($1, $2)', types: [23, 23] }),
      serialize.bind({ portal: 'p', values: ['1', '10'] }),
      serialize.execute({ portal: 'p', rows: 4 }),
      serialize.execute({ portal: 'p', rows: 4 }),
      serialize.execute({ portal: 'p', rows: 4 }),
      serialize.sync(),
    )
    const out = summary(await c.until('readyForQuery'))
    expect(out.filter((s) => s === 'portalSuspended')).toHaveLength(2)
    expect(out.filter((s) => s.startsWith('dataRow'))).toHaveLength(10)
    expect(out).toContain('commandComplete SELECT 10')
  })

  it('skips to Sync after an error, with one ReadyForQuery per Sync', async () => {
    c.send(
      serialize.parse({ text: 'select * from f_user_login($1)' }),
      serialize.bind({ values: ['not a number'] }),
      serialize.execute({}),
      serialize.sync(),
      serialize.parse({ text: 'select f_user_logout($1)' }),
      serialize.bind({ values: ['5'] }),
      serialize.execute({}),
      serialize.sync(),
    )
    const first = summary(await c.until('readyForQuery'))
    expect(first).toEqual([
      'parseComplete',
      'error 22P02 invalid input syntax for type integer: "not a number"',
      'readyForQuery',
    ])
    const second = summary(await c.until('readyForQuery'))
    expect(second).toEqual([
      'parseComplete',
      'bindComplete',
      'dataRow ["0"]',
      'commandComplete SELECT 1',
      'readyForQuery',
    ])
  })

  it('takes binary parameters and gives binary results', async () => {
    const id = Buffer.alloc(4)
    id.writeInt32BE(44)
    c.send(
      serialize.parse({ text: 'select o_userid, o_qq from f_user_login($1)', types: [23] }),
      serialize.bind({ values: [id], valueMapper: (v: unknown) => v as Buffer, binary: true } as never),
      serialize.execute({}),
      serialize.sync(),
    )
    const out = await c.until('readyForQuery')
    const row = out.find((m) => m.name === 'dataRow') as unknown as { fields: (string | null)[] }
    // pg-protocol's Parser reads fields as UTF-8 text; the int4 arrives in its 4 bytes
    expect(Buffer.from(row.fields[0]!, 'latin1').readInt32BE(0)).toBe(44)
  })

  it('mixes proxy calls and forwarded statements in one batch, in order', async () => {
    c.send(
      serialize.parse({ text: 'select current_database()' }),
      serialize.bind({}),
      serialize.execute({}),
      serialize.parse({ text: 'select f_user_logout(7)' }),
      serialize.bind({}),
      serialize.execute({}),
      serialize.parse({ text: 'select 2 + 2' }),
      serialize.bind({}),
      serialize.execute({}),
      serialize.sync(),
    )
    const out = summary(await c.until('readyForQuery'))
    expect(out).toEqual([
      'parseComplete',
      'bindComplete',
      `dataRow ["${env.proxyDb}"]`,
      'commandComplete SELECT 1',
      'parseComplete',
      'bindComplete',
      'dataRow ["0"]',
      'commandComplete SELECT 1',
      'parseComplete',
      'bindComplete',
      'dataRow ["4"]',
      'commandComplete SELECT 1',
      'readyForQuery',
    ])
  })

  it('closes statements and portals, and refuses unknown ones as PostgreSQL does', async () => {
    c.send(
      serialize.parse({ name: 's1', text: 'select f_user_logout($1)' }),
      serialize.close({ type: 'S', name: 's1' }),
      serialize.bind({ statement: 's1', values: ['1'] }),
      serialize.sync(),
    )
    const out = summary(await c.until('readyForQuery'))
    expect(out).toEqual([
      'parseComplete',
      'closeComplete',
      'error 26000 prepared statement "s1" does not exist',
      'readyForQuery',
    ])
  })

  it('a repeated Parse follows search_path and function changes (its prepared call is cached per both)', async () => {
    const echo = (v: string) => [
      serialize.parse({ text: 'select f_echo($1)', types: [] }),
      serialize.bind({ values: [v] }),
      serialize.execute({}),
      serialize.sync(),
    ]
    c.send(...echo('a'))
    // f_echo's remote SELECT says whether it ran on a data node: t
    expect(summary(await c.until('readyForQuery'))).toContain('dataRow ["t"]')
    c.send(serialize.query('set search_path = public'))
    await c.until('readyForQuery')
    c.send(...echo('b'))
    expect(summary(await c.until('readyForQuery'))).toContain(
      'error 42883 function f_echo(unknown) does not exist',
    )
    c.send(serialize.query('set search_path = proxy, public'))
    await c.until('readyForQuery')
    c.send(
      serialize.query(
        "create or replace function f_echo(t text) returns text as $$ cluster 'digoal'; run on hashtext(t); select t || '!'; $$ language plproxy",
      ),
    )
    expect(summary(await c.until('readyForQuery'))).toContain('commandComplete CREATE FUNCTION')
    c.send(...echo('c'))
    expect(summary(await c.until('readyForQuery'))).toContain('dataRow ["c!"]')
  })

  it('re-prints text results in the session’s DateStyle, and leaves binary results alone', async () => {
    c.send(serialize.query("set datestyle = 'German'"))
    await c.until('readyForQuery')
    c.send(
      serialize.parse({ text: 'select o_userid, o_birthday from f_user_login($1)', types: [23] }),
      serialize.bind({ values: ['5'] }),
      serialize.execute({}),
      serialize.bind({ values: ['5'], binary: true }),
      serialize.execute({}),
      serialize.sync(),
    )
    const ours = summary(await c.until('readyForQuery'))
    expect(ours.slice(0, 4)).toEqual([
      'parseComplete',
      'bindComplete',
      'dataRow ["5","06.01.1970"]',
      'commandComplete SELECT 1',
    ])
    // a binary row has no style: it is the data node's own binary row
    const node = await RawClient.open(env.cluster.port, env.cluster.user, env.nodes[1]!)
    try {
      node.send(
        serialize.parse({ text: 'select o_userid, o_birthday from digoal.f_user_login($1)', types: [23] }),
        serialize.bind({ values: ['5'], binary: true }),
        serialize.execute({}),
        serialize.sync(),
      )
      const direct = summary(await node.until('readyForQuery'))
      expect(ours.slice(4)).toEqual(direct.slice(1))
    } finally {
      node.end()
    }
    c.send(serialize.query("set datestyle = 'ISO, MDY'"))
    await c.until('readyForQuery')
  })
})
