/**
 * Local expressions that are not native (DESIGN decision 4): JavaScript functions in
 * `expressionFunctions` for `CLUSTER map_cluster(part)`, `RUN ON my_hash(x)` and
 * `CONNECT make_conn(x)`, the proxy database otherwise, and the load-time error when a
 * plan needs the proxy database and none is configured.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PlProxyError } from '../../../src/runtime/errors.js'
import { createProxy, type PlProxy, ProxyLoadError } from '../../../src/runtime/proxy.js'
import type { NativeValue } from '../../../src/runtime/routing/evaluate.js'
import type { PgCluster } from '../../harness/pg-cluster.js'
import { sharedCluster, skipWithoutPostgres, uniqueDbName } from '../../harness/shared-cluster.js'
import { createPartitions, rejection } from './helpers.js'

const skip = skipWithoutPostgres('expressionFunctions and the proxy database')

const REMOTE = (i: number) => `
  create function where_am_i(part int) returns int language sql as 'select ${i}';
  create function hashed(x int) returns setof int language sql as 'select ${i}';
  create function hashed8(x int8) returns int language sql as 'select ${i}';
  create function conn(x text) returns int language sql as 'select ${i}';
`

const PROXY = `
  create function where_am_i(part int) returns int as $$ cluster map_cluster(part); $$ language plproxy;
  create function hashed(x int) returns setof int as $$ cluster 'four'; run on my_hash(x); $$ language plproxy;
  create function hashed_one(x int) returns int as $$ cluster 'four'; run on my_hash(x); target hashed; $$ language plproxy;
  create function hashed8(x int8) returns int as $$ cluster 'four'; run on big_hash(x); $$ language plproxy;
  create function doubled(x int) returns setof int as $$ cluster 'four'; run on my_hash(x * 2); target hashed; $$ language plproxy;
  create function conn(x text) returns int as $$ connect make_conn(x); $$ language plproxy;
`

describe.skipIf(skip)('expressionFunctions', () => {
  let pgc: PgCluster
  let parts: string[]
  let proxy: PlProxy
  const seen: NativeValue[][] = []
  let hashResult: (x: NativeValue) => unknown = (x) => x
  let mapResult: (part: NativeValue) => unknown = (part) => `map${part}`

  beforeAll(async () => {
    pgc = sharedCluster()
    parts = await createPartitions(pgc, 'exprfn', 4, (i) => REMOTE(i))
    const clusters = Object.fromEntries(parts.map((d, i) => [`map${i}`, { partitions: [pgc.connstr(d)] }]))
    proxy = await createProxy({
      functions: PROXY,
      clusters: { ...clusters, four: { partitions: parts.map((d) => pgc.connstr(d)) } },
      user: 'postgres',
      expressionFunctions: {
        map_cluster: (part) => {
          seen.push([part])
          return mapResult(part)
        },
        my_hash: (x) => {
          seen.push([x])
          return hashResult(x)
        },
        big_hash: async (x) => {
          seen.push([x])
          return x
        },
        make_conn: (x) => pgc.connstr(parts[Number(x)]!),
      },
    })
  })

  afterAll(async () => {
    await proxy?.end()
  })

  it('CLUSTER map_cluster(part): the JavaScript function names the cluster', async () => {
    seen.length = 0
    for (let i = 0; i < 4; i++) expect(await proxy.call('where_am_i', [i])).toEqual([{ where_am_i: i }])
    expect(seen).toEqual([[0], [1], [2], [3]])
    expect((await proxy.explain('where_am_i', [2])).cluster.name).toBe('map2')
  })

  it('RUN ON my_hash(x): the JavaScript result is the hash, mask-mapped', async () => {
    hashResult = (x) => x
    expect(await proxy.call('hashed', [6])).toEqual([{ hashed: 2 }])
    expect(await proxy.call('hashed', [-1])).toEqual([{ hashed: 3 }])
    const x = await proxy.explain('hashed', [-3])
    expect(x.hashes).toEqual(['-3'])
    expect(x.connections.map((c) => c.partitions)).toEqual([[1]])
  })

  it('an array result tags several partitions (SETOF), in the order of the hashes', async () => {
    hashResult = () => [3, 1, 7]
    expect(await proxy.call('hashed', [0])).toEqual([{ hashed: 3 }, { hashed: 1 }])
    hashResult = () => []
    expect(await proxy.call('hashed', [0])).toEqual([])
    const e = await rejection(proxy.call('hashed_one', [0]))
    expect(e.message).toBe(
      'PL/Proxy function public.hashed_one(1): Only set-returning function allows hashcount <> 1',
    )
    hashResult = (x) => x
  })

  it('int8 arguments arrive as bigint; async functions and bigint results work', async () => {
    seen.length = 0
    expect(await proxy.call('hashed8', [9007199254740993n])).toEqual([{ hashed8: 1 }])
    expect(seen).toEqual([[9007199254740993n]])
    expect((await proxy.explain('hashed8', ['-9223372036854775807'])).hashes).toEqual([
      '-9223372036854775807',
    ])
    expect(await proxy.call('hashed8', ['-9223372036854775807'])).toEqual([{ hashed8: 1 }])
  })

  it('native arguments of the call are evaluated as PostgreSQL would (integer out of range)', async () => {
    seen.length = 0
    expect(await proxy.call('doubled', [3])).toEqual([{ doubled: 2 }])
    expect(seen).toEqual([[6]])
    const e = await rejection(proxy.call('doubled', [2 ** 30]))
    expect(e.message).toBe('integer out of range')
    expect(e.code).toBe('22003')
  })

  it('results PL/Proxy would reject: NULL, non-integer hashes, non-text cluster names', async () => {
    hashResult = () => null
    expect((await rejection(proxy.call('hashed_one', [1]))).message).toBe(
      'PL/Proxy function public.hashed_one(1): Hash function returned NULL',
    )
    hashResult = () => 'seven'
    expect((await rejection(proxy.call('hashed_one', [1]))).message).toBe(
      'PL/Proxy function public.hashed_one(1): Hash result must be int2, int4 or int8',
    )
    hashResult = () => 1.5
    expect((await rejection(proxy.call('hashed_one', [1]))).message).toBe(
      'PL/Proxy function public.hashed_one(1): Hash result must be int2, int4 or int8',
    )
    hashResult = (x) => x
    mapResult = () => null
    expect((await rejection(proxy.call('where_am_i', [1]))).message).toBe(
      'PL/Proxy function public.where_am_i(1): Cluster/connect name map func returned NULL',
    )
    mapResult = () => 7
    expect((await rejection(proxy.call('where_am_i', [1]))).message).toBe(
      'PL/Proxy function public.where_am_i(1): expected text',
    )
    mapResult = () => ['map0', 'map1']
    expect((await rejection(proxy.call('where_am_i', [1]))).message).toBe(
      "PL/Proxy function public.where_am_i(1): 'select map_cluster($1)' returned 2 rows, expected 1",
    )
    mapResult = () => 'nosuch'
    expect((await rejection(proxy.call('where_am_i', [1]))).message).toBe(
      'Pl/Proxy: cluster not found: nosuch',
    )
    mapResult = (part) => `map${part}`
  })

  it('a JavaScript function that throws fails the call with its error', async () => {
    hashResult = () => {
      throw new Error('no hash today')
    }
    try {
      expect((await rejection(proxy.call('hashed', [1]))).message).toBe('no hash today')
    } finally {
      hashResult = (x) => x
    }
  })

  it('CONNECT make_conn(x): a one-partition cluster per connect string', async () => {
    expect(await proxy.call('conn', ['2'])).toEqual([{ conn: 2 }])
    expect(await proxy.call('conn', ['0'])).toEqual([{ conn: 0 }])
    const x = await proxy.explain('conn', ['3'])
    expect(x.cluster).toMatchObject({ name: pgc.connstr(parts[3]!), source: 'connect', partitions: 1 })
    expect(x.connections[0]?.connectString).toBe(`${pgc.connstr(parts[3]!)} user='postgres'`)
  })
})

describe.skipIf(skip)('local expressions on the proxy database', () => {
  let pgc: PgCluster
  let parts: string[]
  let proxyDb: string
  const proxies: PlProxy[] = []

  beforeAll(async () => {
    pgc = sharedCluster()
    parts = await createPartitions(pgc, 'exprdb', 4, (i) => REMOTE(i))
    proxyDb = uniqueDbName('exprdb_proxy')
    await pgc.createDatabase(proxyDb)
    await pgc.query(
      proxyDb,
      `create function my_hash(x int) returns int language sql as 'select x + 1';
       create function big_hash(x int8) returns int8 language sql as 'select x';
       create function map_cluster(part int) returns text language sql as $$ select 'map' || part $$;
       create function make_conn(x text) returns text language sql as $$ select null::text $$;`,
    )
  })

  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.end()))
  })

  const proxyWith = async (expressionFunctions = {}) => {
    const clusters = Object.fromEntries(parts.map((d, i) => [`map${i}`, { partitions: [pgc.connstr(d)] }]))
    const p = await createProxy({
      functions: PROXY,
      clusters: { ...clusters, four: { partitions: parts.map((d) => pgc.connstr(d)) } },
      proxyDatabase: pgc.connstr(proxyDb, 'user=postgres'),
      user: 'postgres',
      expressionFunctions,
    })
    proxies.push(p)
    return p
  }

  it('evaluates CLUSTER and RUN ON functions in the proxy database', async () => {
    const proxy = await proxyWith()
    expect(await proxy.call('where_am_i', [3])).toEqual([{ where_am_i: 3 }])
    // my_hash(x) = x + 1 there
    expect(await proxy.call('hashed', [1])).toEqual([{ hashed: 2 }])
    expect((await proxy.explain('hashed8', ['-5'])).hashes).toEqual(['-5'])
    const e = await rejection(proxy.call('conn', ['1']))
    expect(e.message).toBe('PL/Proxy function public.conn(1): Cluster/connect name map func returned NULL')
  })

  it('a JavaScript function of the same name wins over the proxy database', async () => {
    const proxy = await proxyWith({ my_hash: () => 0 })
    expect(await proxy.call('hashed', [1])).toEqual([{ hashed: 0 }])
  })

  it("the proxy database's own errors come back unchanged", async () => {
    const proxy = await proxyWith()
    const e = await rejection(proxy.call('doubled', [2 ** 30]))
    // evaluated by PostgreSQL there: $1 * 2 overflows
    expect(e.message).toBe('integer out of range')
    expect(e.code).toBe('22003')
    expect(e).toBeInstanceOf(PlProxyError)
  })
})

describe('a plan that needs the proxy database when none is configured', () => {
  it('fails at load time, naming the function, the statement and the SQL', async () => {
    const e = await rejection(
      createProxy({
        functions:
          "create function h(x int) returns int as $$ cluster 'c'; run on my_hash(x); $$ language plproxy;",
        clusters: { c: { partitions: ['dbname=x'] } },
      }),
    )
    expect(e).toBeInstanceOf(ProxyLoadError)
    expect(e.message).toBe(
      'function public.h needs the proxy database: RUN ON evaluates "select * from my_hash($1)" ' +
        '(function my_hash is not implemented natively); configure proxyDatabase, or register a ' +
        'JavaScript function "my_hash" in expressionFunctions',
    )
  })

  it('CLUSTER and CONNECT expressions are checked too', async () => {
    const cluster = await rejection(
      createProxy({
        functions: 'create function h(x text) returns int as $$ cluster map_cluster(x); $$ language plproxy;',
      }),
    )
    expect(cluster.message).toMatch(
      /^function public\.h needs the proxy database: CLUSTER evaluates "select map_cluster\(\$1\)"/,
    )
    const connect = await rejection(
      createProxy({
        functions: 'create function h(x text) returns int as $$ connect make_conn(x); $$ language plproxy;',
      }),
    )
    expect(connect.message).toMatch(
      /^function public\.h needs the proxy database: CONNECT evaluates "select \* from make_conn\(\$1\)"/,
    )
  })

  it('an expression that is more than one call cannot be replaced by a JavaScript function', async () => {
    const e = await rejection(
      createProxy({
        functions:
          "create function h(x int) returns int as $$ cluster 'c'; run on my_hash(x) + 1; $$ language plproxy;",
        clusters: { c: { partitions: ['dbname=x'] } },
        expressionFunctions: { my_hash: (x) => x },
      }),
    )
    expect(e.message).toBe(
      'function public.h needs the proxy database: RUN ON evaluates "select * from my_hash($1) + 1" ' +
        '(function my_hash is not implemented natively); configure proxyDatabase',
    )
  })

  it('registering the function (any case) satisfies the check; native expressions need nothing', async () => {
    const p = await createProxy({
      functions: `create function h(x int) returns int as $$ cluster 'c'; run on My_Hash(x); $$ language plproxy;
        create function n(x text) returns int as $$ cluster 'c'; run on hashtext(lower(x)); $$ language plproxy;`,
      clusters: { c: { partitions: ['dbname=x', 'dbname=y'] } },
      expressionFunctions: { my_hash: (x) => x },
    })
    expect((await p.explain('h', [5])).connections[0]?.partitions).toEqual([1])
    // hashtext('abc') = -785388649 (PostgreSQL 15)
    expect((await p.explain('n', ['ABC'])).hashes).toEqual(['-785388649'])
    await p.end()
  })
})
