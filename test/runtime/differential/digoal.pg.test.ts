/**
 * The seed workload (examples/digoal, WORKLOAD.md) through the real PL/Proxy 2.10
 * and through plproxy-ts: four data-node databases built by data-node.sql with the
 * article's tables and users 0..399 (node k holds the ids ≡ k mod 4), a proxy
 * database built by cluster.sql (SQL/MED server `digoal` with a user mapping) and
 * proxy.sql (`cluster 'digoal'; run on i_userid; target digoal.f_user_*`). The
 * SQL files are the example's own, with only the port, the database names and the
 * role names replaced (roles are cluster-wide and the shared cluster is shared).
 *
 * `f_user_login` / `f_user_logout` must answer the same rows through both, and
 * leave the same rows in user_login_rec / user_logout_rec on the same node (login
 * time excluded; the client address is 127.0.0.1 for both, as both connect by TCP).
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createProxy, type PlProxy } from '../../../src/runtime/proxy.js'
import { sharedCluster, skipWithoutPlproxy, uniqueDbName } from '../../harness/shared-cluster.js'
import { clean, type ErrorOutcome, TEXT_TYPES } from './env.js'

const skip = skipWithoutPlproxy('differential runtime tests (seed workload)')

const exampleDir = fileURLToPath(new URL('../../../examples/digoal/', import.meta.url))
const example = (name: string) => readFileSync(`${exampleDir}${name}`, 'utf8')

const USERS = 400

/** A proxy function routed to a cluster that exists nowhere (no compat functions in this proxy db). */
const NO_CLUSTER_SQL = `create function proxy.dfr_nocluster(i int) returns int as $$
  cluster 'nosuch'; run on i;
$$ language plproxy;
`

interface Answer {
  readonly rows?: readonly (readonly (string | null)[])[]
  readonly columns?: readonly string[]
  readonly error?: ErrorOutcome
}

describe.skipIf(skip)(
  'differential: the seed workload (examples/digoal) through PL/Proxy 2.10 and plproxy-ts',
  () => {
    const cluster = skip ? undefined : sharedCluster()
    const base = uniqueDbName('dfr_dg')
    const owner = `${base}_owner`
    const caller = `${base}_caller`
    const nodes = [0, 1, 2, 3].map((k) => `${base}_digoal${k}`)
    const proxyDb = `${base}_proxy`
    let clusterSql = ''
    let proxySql = ''
    let real: pg.Client
    let ours: PlProxy
    let oursLive: PlProxy
    let nodeClients: pg.Client[] = []

    beforeAll(async () => {
      if (!cluster) return
      await cluster.query('postgres', `create role ${owner} login; create role ${caller} login`)
      const dataNodeSql = example('data-node.sql')
      for (const [k, db] of nodes.entries()) {
        await cluster.query('postgres', `create database ${db} owner ${owner}`)
        await cluster.query(db, `alter database ${db} set search_path = digoal, public`)
        const c = new pg.Client({ ...cluster.clientConfig(db), user: owner })
        await c.connect()
        try {
          await c.query(dataNodeSql)
          await c.query(
            `insert into digoal.user_info
           select g, 'eng' || g, '中文名' || g, case when g % 7 = 0 then null else 'job ' || g end,
                  date '1970-01-01' + g * 37, 'sign ''' || g || '''', 'u' || g || '@example.org',
                  (g::numeric * 1000003) / 7, timestamp '2011-01-01 00:00:00', null
             from generate_series(${k}, ${USERS - 1}, 4) g`,
          )
        } finally {
          await c.end()
        }
      }
      clusterSql = example('cluster.sql')
        .replace(/port=5432/g, `port=${cluster.port}`)
        .replace(/dbname=digoal(\d)/g, (_, k: string) => `dbname=${nodes[Number(k)]}`)
        .replace(/\bfor proxy server\b/g, `for ${caller} server`)
        .replace(/\bto proxy;/g, `to ${caller};`)
        .replace(/user 'digoal', password 'digoal'/g, `user '${owner}', password 'secret'`)
      proxySql = example('proxy.sql')
      expect(clusterSql).toContain(`for ${caller} server digoal`)
      expect(clusterSql).toContain(`to ${caller};`)
      await cluster.createDatabase(proxyDb)
      await cluster.query(proxyDb, clusterSql)
      await cluster.query(proxyDb, proxySql)
      await cluster.query(proxyDb, NO_CLUSTER_SQL)
      await cluster.query(
        proxyDb,
        `grant usage on schema proxy to ${caller}; grant execute on all functions in schema proxy to ${caller}`,
      )
      real = new pg.Client({ ...cluster.clientConfig(proxyDb), user: caller })
      real.on('error', () => {})
      await real.connect()
      const functions = [
        { file: 'examples/digoal/proxy.sql', text: proxySql },
        { file: 'nocluster.sql', text: NO_CLUSTER_SQL },
      ]
      ours = await createProxy({
        functions,
        clusters: [{ file: 'examples/digoal/cluster.sql', text: clusterSql }],
        user: caller,
      })
      // the SQL/MED server read from the proxy database's catalogs instead of the file
      oursLive = await createProxy({
        functions,
        proxyDatabase: cluster.connstr(proxyDb, 'user=postgres'),
        user: caller,
        clusterRefreshMs: 0,
      })
      nodeClients = await Promise.all(
        nodes.map(async (db) => {
          const c = new pg.Client(cluster.clientConfig(db))
          c.on('error', () => {})
          await c.connect()
          return c
        }),
      )
    })

    afterAll(async () => {
      await Promise.allSettled([
        ours?.end(),
        oursLive?.end(),
        real?.end(),
        ...nodeClients.map((c) => c.end()),
      ])
    })

    const callReal = async (fn: string, args: readonly (string | null)[]): Promise<Answer> => {
      try {
        const r = await real.query({
          text: `select * from ${fn}(${args.map((_, i) => `$${i + 1}`).join(', ')})`,
          values: [...args],
          rowMode: 'array',
          types: TEXT_TYPES,
        })
        return { columns: r.fields.map((f) => f.name), rows: r.rows as (string | null)[][] }
      } catch (e) {
        if (!(e instanceof pg.DatabaseError)) throw e
        return { error: clean({ message: e.message, code: e.code, detail: e.detail, hint: e.hint }) }
      }
    }
    const callOurs = async (
      proxy: PlProxy,
      fn: string,
      args: readonly (string | null)[],
    ): Promise<Answer> => {
      try {
        const r = await proxy.callText(fn, args)
        return { columns: r.columns.map((c) => c.name), rows: r.rows.map((row) => [...row]) }
      } catch (e) {
        const err = e as { name?: string; message: string; code?: string; detail?: string; hint?: string }
        if (err?.name !== 'PlProxyError') throw e
        return { error: clean({ message: err.message, code: err.code, detail: err.detail, hint: err.hint }) }
      }
    }

    /** user_login_rec / user_logout_rec per node (userid, ip; times left out), emptied */
    const sideEffects = async () => {
      return Promise.all(
        nodeClients.map(async (c) => {
          const login = await c.query({
            text: 'delete from digoal.user_login_rec returning userid, ip::text',
            rowMode: 'array',
            types: TEXT_TYPES,
          })
          const logout = await c.query({
            text: 'delete from digoal.user_logout_rec returning userid, ip::text',
            rowMode: 'array',
            types: TEXT_TYPES,
          })
          const sort = (rows: unknown[][]) => rows.map((r) => r.join('|')).sort()
          return { login: sort(login.rows), logout: sort(logout.rows) }
        }),
      )
    }

    it('f_user_login / f_user_logout: same rows, same login/logout records on the same node', async () => {
      const userid = fc.oneof(
        fc.integer({ min: 0, max: USERS - 1 }),
        fc.integer({ min: -50, max: USERS + 50 }),
        fc.constantFrom(-(2 ** 31), 2 ** 31 - 1, -1, 0),
      )
      const calls = fc.sample(
        fc.tuple(
          fc.constantFrom('proxy.f_user_login', 'proxy.f_user_logout'),
          fc.option(userid, { nil: null, freq: 15 }),
        ),
        { numRuns: 150, seed: 20110615 },
      )
      const realAnswers: Answer[] = []
      for (const [fn, id] of calls) realAnswers.push(await callReal(fn, [id === null ? null : String(id)]))
      const realEffects = await sideEffects()
      const ourAnswers: Answer[] = []
      for (const [fn, id] of calls)
        ourAnswers.push(await callOurs(ours, fn, [id === null ? null : String(id)]))
      const ourEffects = await sideEffects()

      expect(realAnswers.filter((a) => a.error)).toEqual([])
      // a few sanity checks of the workload itself
      const logins = realEffects.reduce((n, e) => n + e.login.length, 0)
      expect(logins).toBeGreaterThan(30)
      for (const [k, e] of realEffects.entries()) {
        for (const row of [...e.login, ...e.logout]) {
          const id = Number(row.split('|')[0])
          expect(((id % 4) + 4) % 4, `node ${k} got user ${id}`).toBe(k)
          expect(row.split('|')[1]).toBe('127.0.0.1/32')
        }
      }
      for (const [i, [fn, id]] of calls.entries()) {
        expect(ourAnswers[i], `plproxy-ts differs from PL/Proxy 2.10 for select * from ${fn}(${id})`).toEqual(
          realAnswers[i],
        )
      }
      expect(ourEffects, 'the records left on the data nodes differ').toEqual(realEffects)
    })

    it('the SQL/MED server read live from the proxy database catalogs gives the same answers', async () => {
      for (const id of ['5', '-3', '398', null, '100000']) {
        const r = await callReal('proxy.f_user_login', [id])
        const o = await callOurs(oursLive, 'proxy.f_user_login', [id])
        expect(o, `plproxy-ts (proxyDatabase) differs for f_user_login(${id})`).toEqual(r)
      }
      // both recorded each login: 100000 on node 0; 5 and -3 (-3 & 3 = 1) on node 1; 398 on node 2
      const effects = await sideEffects()
      expect(effects.map((e) => e.login.length)).toEqual([2, 4, 2, 0])
    })

    it('Pl/Proxy: cluster not found (no SQL/MED server of that name, no plproxy.get_cluster_* functions)', async () => {
      const r = await callReal('proxy.dfr_nocluster', ['1'])
      expect(r.error?.message).toBe('Pl/Proxy: cluster not found: nosuch')
      expect(await callOurs(ours, 'proxy.dfr_nocluster', ['1']), 'plproxy-ts (cluster files)').toEqual(r)
      expect(await callOurs(oursLive, 'proxy.dfr_nocluster', ['1']), 'plproxy-ts (proxyDatabase)').toEqual(r)
    })
  },
)
