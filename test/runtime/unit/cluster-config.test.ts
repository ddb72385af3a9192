/**
 * Cluster configuration without a database: config keys (spec §5.4, C atoi), SQL/MED
 * servers turned into clusters (spec §5.3: wrapper options, then server options,
 * partition placement), user mappings and USAGE, clusters from objects and JSON.
 */
import { describe, expect, it } from 'vitest'
import {
  applyConfigKey,
  ConfigKeyError,
  configFrom,
  DEFAULT_CLUSTER_CONFIG,
  isValidPartitionCount,
} from '../../../src/runtime/cluster/config.js'
import { ClusterError } from '../../../src/runtime/cluster/errors.js'
import {
  ClusterDefinitionError,
  clusterFromObject,
  clustersFromJson,
} from '../../../src/runtime/cluster/objects.js'
import {
  checkUsage,
  clusterFromServer,
  type SqlMedServer,
  userMappingFor,
} from '../../../src/runtime/cluster/sqlmed.js'

function thrown(f: () => unknown): Error {
  try {
    f()
  } catch (e) {
    return e as Error
  }
  throw new Error('expected an error')
}

describe('applyConfigKey', () => {
  it.each([
    ['30', 30],
    [' \t-5', -5],
    ['\n5', 5],
    ['+7', 7],
    ['12abc', 12],
    ['7 seconds', 7],
    ['1e3', 1],
    ['0x10', 0],
    ['abc', 0],
    ['', 0],
    ['- 5', 0],
    ['+-5', 0],
    ['2147483647', 2147483647],
    // beyond int: glibc's atoi is (int) strtol, which wraps within the long range
    ['2147483648', -2147483648],
    ['-2147483649', 2147483647],
    ['4294967296', 0],
    ['4294967301', 5],
  ])('reads %j like C atoi: %i', (value, expected) => {
    expect(applyConfigKey(DEFAULT_CLUSTER_CONFIG, 'query_timeout', value).queryTimeout).toBe(expected)
  })

  it.each([
    ['9223372036854775808', -1],
    ['99999999999999999999', -1],
    ['-9223372036854775809', 0],
    ['-99999999999999999999', 0],
  ])(
    'beyond the long range glibc atoi saturates (strtol → LONG_MAX/LONG_MIN, then (int)): %j → %i',
    (value, expected) => {
      expect(
        applyConfigKey(DEFAULT_CLUSTER_CONFIG, 'query_timeout', value).queryTimeout,
        'BUG (minor): atoi() wraps the exact value to 32 bits instead of saturating at the 64-bit long range first',
      ).toBe(expected)
    },
  )

  it('matches keys case-insensitively and sets the right field', () => {
    let c = applyConfigKey(DEFAULT_CLUSTER_CONFIG, 'Connection_Lifetime', '1800')
    c = applyConfigKey(c, 'QUERY_TIMEOUT', '5')
    c = applyConfigKey(c, 'disable_binary', '1')
    c = applyConfigKey(c, 'modular_mapping', '1')
    c = applyConfigKey(c, 'statement_timeout', '9')
    c = applyConfigKey(c, 'keepalive_idle', '1')
    c = applyConfigKey(c, 'keepalive_interval', '2')
    c = applyConfigKey(c, 'keepalive_count', '3')
    expect(c).toEqual({
      connectionLifetime: 1800,
      queryTimeout: 5,
      disableBinary: 1,
      modularMapping: 1,
      defaultUser: 'current_user',
      statementTimeout: 9,
      keepaliveIdle: 1,
      keepaliveInterval: 2,
      keepaliveCount: 3,
    })
  })

  it('does not change the config it is given', () => {
    const before = { ...DEFAULT_CLUSTER_CONFIG }
    applyConfigKey(DEFAULT_CLUSTER_CONFIG, 'query_timeout', '3')
    expect(DEFAULT_CLUSTER_CONFIG).toEqual(before)
    expect(Object.isFrozen(DEFAULT_CLUSTER_CONFIG)).toBe(true)
  })

  it('connect_timeout is unknown, as in PL/Proxy (the key keeps its spelling)', () => {
    const e = thrown(() => applyConfigKey(DEFAULT_CLUSTER_CONFIG, 'connect_timeout', '10'))
    expect(e).toBeInstanceOf(ConfigKeyError)
    expect(e.message).toBe('Unknown config param: connect_timeout')
    expect((e as ConfigKeyError).plain).toBe(false)
    expect(thrown(() => applyConfigKey(DEFAULT_CLUSTER_CONFIG, 'Connect_Timeout', '1')).message).toBe(
      'Unknown config param: Connect_Timeout',
    )
    expect(thrown(() => applyConfigKey(DEFAULT_CLUSTER_CONFIG, 'p0', 'dbname=x')).message).toBe(
      'Unknown config param: p0',
    )
  })

  it('default_user: exactly current_user or session_user, else a plain error', () => {
    expect(applyConfigKey(DEFAULT_CLUSTER_CONFIG, 'default_user', 'session_user').defaultUser).toBe(
      'session_user',
    )
    expect(applyConfigKey(DEFAULT_CLUSTER_CONFIG, 'DEFAULT_USER', 'current_user').defaultUser).toBe(
      'current_user',
    )
    for (const bad of ['Session_User', 'session_user ', '', 'postgres']) {
      const e = thrown(() => applyConfigKey(DEFAULT_CLUSTER_CONFIG, 'default_user', bad))
      expect(e).toBeInstanceOf(ConfigKeyError)
      expect(e.message).toBe(`default_user: Expect 'current_user' or 'session_user', got '${bad}'`)
      expect((e as ConfigKeyError).plain).toBe(true)
    }
  })

  it('configFrom starts from the defaults; a later key wins', () => {
    expect(configFrom([])).toEqual(DEFAULT_CLUSTER_CONFIG)
    expect(
      configFrom([
        ['query_timeout', '1'],
        ['Query_Timeout', '2'],
      ]).queryTimeout,
    ).toBe(2)
  })

  it('isValidPartitionCount: powers of two, or any count > 0 with modular_mapping', () => {
    const modular = { ...DEFAULT_CLUSTER_CONFIG, modularMapping: 1 }
    expect([0, 1, 2, 3, 4, 6, 8, 1024].map((n) => isValidPartitionCount(n, DEFAULT_CLUSTER_CONFIG))).toEqual([
      false,
      true,
      true,
      false,
      true,
      false,
      true,
      true,
    ])
    expect([0, 1, 3, 7].map((n) => isValidPartitionCount(n, modular))).toEqual([false, true, true, true])
    expect(isValidPartitionCount(3, { ...DEFAULT_CLUSTER_CONFIG, modularMapping: -1 })).toBe(true)
  })
})

describe('clusterFromServer', () => {
  const server = (over: Partial<SqlMedServer>): SqlMedServer => ({
    name: 's',
    wrapperOptions: [],
    options: [],
    userMappings: [],
    version: 1,
    ...over,
  })

  it('applies the wrapper options, then the server options (the server wins)', () => {
    const c = clusterFromServer(
      server({
        wrapperOptions: [
          { name: 'query_timeout', value: '5' },
          { name: 'connection_lifetime', value: '100' },
        ],
        options: [
          { name: 'p0', value: 'dbname=a' },
          { name: 'query_timeout', value: '7' },
        ],
      }),
    )
    expect(c.config).toMatchObject({ queryTimeout: 7, connectionLifetime: 100 })
    expect(c.source).toBe('sqlmed')
  })

  it('places partitions by number, whatever the option order and spelling', () => {
    const c = clusterFromServer(
      server({
        options: [
          { name: 'partition_3', value: 'dbname=d' },
          { name: 'p1', value: 'dbname=b' },
          { name: 'connection_lifetime', value: '60' },
          { name: 'partition_02', value: 'dbname=c' },
          { name: 'p', value: 'dbname=a' },
        ],
      }),
    )
    expect(c.partitions).toEqual(['dbname=a', 'dbname=b', 'dbname=c', 'dbname=d'])
    expect(c.config.connectionLifetime).toBe(60)
  })

  it('keeps identity fields: name, version, mappings, usage, owner', () => {
    const mappings = [{ user: 'alice', options: [{ name: 'user', value: 'bob' }] }]
    const c = clusterFromServer(
      server({
        name: 'x',
        version: 7,
        options: [{ name: 'p0', value: 'dbname=a' }],
        userMappings: mappings,
        usage: new Set(['alice']),
        owner: 'own',
      }),
    )
    expect(c).toMatchObject({ name: 'x', version: 7, userMappings: mappings, owner: 'own' })
    expect([...(c.usage ?? [])]).toEqual(['alice'])
  })

  it.each([
    [[], 'invalid partition count'],
    [
      [
        { name: 'p0', value: 'a' },
        { name: 'p1', value: 'b' },
        { name: 'p2', value: 'c' },
      ],
      'invalid partition count',
    ],
    [
      [
        { name: 'p0', value: 'a' },
        { name: 'p5', value: 'b' },
      ],
      'wrong partitions number, must be >= 0 and < 2',
    ],
    [
      [
        { name: 'p-1', value: 'a' },
        { name: 'p0', value: 'b' },
      ],
      'wrong partitions number, must be >= 0 and < 2',
    ],
    [
      [
        { name: 'p0', value: 'a' },
        { name: 'p1', value: 'b' },
        { name: 'partition_1', value: 'c' },
        { name: 'p3', value: 'd' },
      ],
      'duplicate partition number: 1',
    ],
    [
      [
        { name: 'port', value: '5432' },
        { name: 'p0', value: 'a' },
      ],
      'Unknown config param: port',
    ],
    [
      [
        { name: 'connect_timeout', value: '5' },
        { name: 'p0', value: 'a' },
      ],
      'Unknown config param: connect_timeout',
    ],
  ])('%j: %s (PL/Proxy function error)', (options, message) => {
    const e = thrown(() => clusterFromServer(server({ options })))
    expect(e).toBeInstanceOf(ClusterError)
    expect(e.message).toBe(message)
    expect((e as ClusterError).style).toBe('function')
    expect((e as ClusterError).code).toBe('XX000')
  })

  it('modular_mapping allows any partition count, from the server or the wrapper', () => {
    const three = [
      { name: 'p0', value: 'a' },
      { name: 'p1', value: 'b' },
      { name: 'p2', value: 'c' },
    ]
    expect(
      clusterFromServer(server({ options: [...three, { name: 'modular_mapping', value: '1' }] })).partitions,
    ).toEqual(['a', 'b', 'c'])
    expect(
      clusterFromServer(server({ options: three, wrapperOptions: [{ name: 'modular_mapping', value: '1' }] }))
        .partitions,
    ).toEqual(['a', 'b', 'c'])
  })

  it('an option without a value reads as 0 / an empty string', () => {
    const c = clusterFromServer(server({ options: [{ name: 'query_timeout' }, { name: 'p0' }] }))
    expect(c.config.queryTimeout).toBe(0)
    expect(c.partitions).toEqual([''])
  })

  it('default_user in a server: plain error', () => {
    const e = thrown(() =>
      clusterFromServer(
        server({
          options: [
            { name: 'default_user', value: 'x' },
            { name: 'p0', value: 'a' },
          ],
        }),
      ),
    )
    expect(e).toBeInstanceOf(ClusterError)
    expect((e as ClusterError).style).toBe('plain')
    expect(e.message).toBe("default_user: Expect 'current_user' or 'session_user', got 'x'")
  })
})

describe('user mappings and USAGE', () => {
  const cluster = (usage?: string[], owner?: string) =>
    clusterFromServer({
      name: 'srv',
      wrapperOptions: [],
      options: [{ name: 'p0', value: 'dbname=a' }],
      userMappings: [
        { user: 'alice', options: [{ name: 'user', value: 'bob' }] },
        { options: [{ name: 'password', value: 'pub' }] },
      ],
      ...(usage ? { usage: new Set(usage) } : {}),
      ...(owner ? { owner } : {}),
      version: 1,
    })

  it("picks the user's own mapping, else PUBLIC", () => {
    expect(userMappingFor(cluster(), 'alice')).toEqual([{ name: 'user', value: 'bob' }])
    expect(userMappingFor(cluster(), 'carol')).toEqual([{ name: 'password', value: 'pub' }])
  })

  it('no mapping at all: PostgreSQL\'s "user mapping not found" (42704, plain)', () => {
    const c = { ...cluster(), userMappings: [{ user: 'alice', options: [] }] }
    const e = thrown(() => userMappingFor(c, 'carol'))
    expect(e).toBeInstanceOf(ClusterError)
    expect(e.message).toBe('user mapping not found for "carol"')
    expect((e as ClusterError).code).toBe('42704')
    expect((e as ClusterError).style).toBe('plain')
  })

  it('USAGE: unknown privileges pass; superusers, the owner, grantees and PUBLIC pass', () => {
    const superusers = new Set(['postgres'])
    expect(() => checkUsage(cluster(), 'anyone', superusers)).not.toThrow()
    const c = cluster(['alice'], 'own')
    for (const u of ['postgres', 'own', 'alice']) expect(() => checkUsage(c, u, superusers)).not.toThrow()
    expect(() => checkUsage(cluster(['public']), 'zed', superusers)).not.toThrow()
    const e = thrown(() => checkUsage(c, 'carol', superusers))
    expect(e.message).toBe('permission denied for foreign server srv')
    expect((e as ClusterError).code).toBe('42501')
    expect((e as ClusterError).style).toBe('plain')
    // an empty grant list (all revoked) refuses everyone but owner and superusers
    expect(() => checkUsage(cluster([]), 'alice', superusers)).toThrow(
      'permission denied for foreign server srv',
    )
  })
})

describe('clusters from objects and JSON', () => {
  it('reads the three accepted shapes', () => {
    const expected = [{ name: 'a', partitions: ['dbname=x'] }]
    for (const doc of [
      { a: { partitions: ['dbname=x'] } },
      { clusters: { a: { partitions: ['dbname=x'] } } },
      [{ name: 'a', partitions: ['dbname=x'] }],
      { clusters: [{ name: 'a', partitions: ['dbname=x'] }] },
    ]) {
      expect(clustersFromJson(doc)).toMatchObject(expected)
    }
  })

  it('applies config values given as numbers or strings; version defaults to 1', () => {
    const [c] = clustersFromJson({
      a: { partitions: ['x', 'y', 'z'], config: { modular_mapping: 1, query_timeout: '5s' }, version: 3 },
      b: { partitions: ['x'] },
    })
    expect(c).toMatchObject({ source: 'object', version: 3, config: { modularMapping: 1, queryTimeout: 5 } })
    expect(clustersFromJson({ b: { partitions: ['x'] } })[0]?.version).toBe(1)
  })

  it.each([
    ['a string', 'nope', 'clusters: expected an object of clusters or an array'],
    ['null', null, 'clusters: expected an object of clusters or an array'],
    ['an entry without a name', [{ partitions: ['x'] }], 'clusters[0]: "name" must be a string'],
    ['a non-string name', [{ name: 1, partitions: ['x'] }], 'clusters[0]: "name" must be a string'],
    ['no partitions', { a: {} }, 'cluster "a": "partitions" must be an array of connect strings'],
    ['a null cluster', { a: null }, 'cluster "a": "partitions" must be an array of connect strings'],
    [
      'partitions not an array',
      { a: { partitions: 'dbname=x' } },
      'cluster "a": "partitions" must be an array of connect strings',
    ],
    [
      'a non-string partition',
      { a: { partitions: ['x', 5] } },
      'cluster "a": partition 1 is not a connect string',
    ],
    [
      'three partitions',
      { a: { partitions: ['x', 'y', 'z'] } },
      'cluster "a": invalid partition count 3 (must be a power of 2 > 0, or any count > 0 with modular_mapping)',
    ],
    [
      'no partition',
      { a: { partitions: [] } },
      'cluster "a": invalid partition count 0 (must be a power of 2 > 0, or any count > 0 with modular_mapping)',
    ],
    [
      'connect_timeout',
      { a: { partitions: ['x'], config: { connect_timeout: 3 } } },
      'cluster "a": Unknown config param: connect_timeout',
    ],
    [
      'a bad default_user',
      { a: { partitions: ['x'], config: { default_user: 'root' } } },
      `cluster "a": default_user: Expect 'current_user' or 'session_user', got 'root'`,
    ],
  ])('rejects %s', (_what, doc, message) => {
    const e = thrown(() => clustersFromJson(doc))
    expect(e).toBeInstanceOf(ClusterDefinitionError)
    expect(e.message).toBe(message)
  })

  it('names the source in document-level errors', () => {
    expect(thrown(() => clustersFromJson(42, 'c.json')).message).toBe(
      'c.json: expected an object of clusters or an array',
    )
    expect(thrown(() => clustersFromJson([{}], 'c.json')).message).toBe('c.json[0]: "name" must be a string')
  })

  it('clusterFromObject copies the partition list', () => {
    const partitions = ['a']
    const c = clusterFromObject('n', { partitions })
    partitions.push('b')
    expect(c.partitions).toEqual(['a'])
  })
})
