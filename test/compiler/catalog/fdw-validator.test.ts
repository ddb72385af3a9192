/** PL/Proxy's SQL/MED validator (spec §5.3), through DDL as users write it. */
import { beforeAll, describe, expect, it } from 'vitest'
import { compileScriptsSync, partitionNumberOf, validatePlproxyOptions } from '../../../src/compiler/index.js'
import { loadPostgresParser } from '../../../src/parser/index.js'

beforeAll(() => loadPostgresParser())

const errorsOf = (sql: string) =>
  compileScriptsSync([{ file: 'c.sql', text: sql }]).diagnostics.map((d) =>
    [d.message, d.hint ?? ''].filter(Boolean).join(' / '),
  )

describe('partition option names', () => {
  it.each([
    ['p0', 0],
    ['p12', 12],
    ['partition_0', 0],
    ['partition_02', 2],
    ['partition_001', 1],
    ['p', 0],
    ['partition_', 0],
    ['p+1', 1],
    ['p-1', -1],
    ['p4294967296', 0],
  ])('%s is partition %s', (name, n) => {
    expect(partitionNumberOf(name)).toBe(n)
  })
  it.each(['port', 'px', 'P0', 'partition', 'p 1x', 'p-'])('%s is not a partition', (name) => {
    expect(partitionNumberOf(name)).toBeUndefined()
  })
})

describe('CREATE SERVER', () => {
  it('accepts power-of-two partition counts in any order with config options', () => {
    expect(
      errorsOf(
        "create server s foreign data wrapper plproxy options (p1 'b', connection_lifetime '1800', p0 'a', p3 'd', partition_2 'c');",
      ),
    ).toEqual([])
  })

  it.each([
    [
      "p0 'a', p2 'b'",
      'Pl/Proxy: partition numbers must start from 0 and be numbered consecutively / number of options is 2, got 2',
    ],
    ["p0 'a', p1 'b', partition_1 'c', p3 'd'", 'Pl/Proxy: duplicate partition number: 1 / got 1 twice'],
    ["p0 'a', p2 'b', query_timeout '1'", 'Pl/Proxy: missing partition / missing number: 1'],
    [
      "p0 'a', p1 'b', p2 'c'",
      'Pl/Proxy: invalid number of partitions / the number of partitions in a cluster must be power of 2 (attempted 3)',
    ],
    [
      "connection_lifetime '10'",
      'Pl/Proxy: invalid number of partitions / the number of partitions in a cluster must be power of 2 (attempted 0)',
    ],
    ["p0 'a', port '5432'", 'Pl/Proxy: invalid server option: port'],
    ["p0 'a', connect_timeout '5'", 'Pl/Proxy: invalid server option: connect_timeout'],
    ["p0 'a', default_user 'current_user'", 'Pl/Proxy: invalid server option: default_user'],
    ["p0 'a', query_timeout '-5'", 'Pl/Proxy: only integer options are allowed: query_timeout=-5'],
    ["p0 'a', p0 'b'", 'option "p0" provided more than once'],
  ])('rejects (%s)', (options, message) => {
    expect(errorsOf(`create server s foreign data wrapper plproxy options (${options});`)).toEqual([message])
  })

  it('modular_mapping on the server allows any count; on the wrapper it does not help the validator', () => {
    expect(
      errorsOf(
        "create server s foreign data wrapper plproxy options (modular_mapping '1', p0 'a', p1 'b', p2 'c');",
      ),
    ).toEqual([])
    expect(
      errorsOf(`alter foreign data wrapper plproxy options (add modular_mapping '1');
        create server s foreign data wrapper plproxy options (p0 'a', p1 'b', p2 'c');`),
    ).toEqual([
      'Pl/Proxy: invalid number of partitions / the number of partitions in a cluster must be power of 2 (attempted 3)',
    ])
  })

  it('an empty value passes the integer check', () => {
    expect(
      errorsOf("create server s foreign data wrapper plproxy options (p0 'a', query_timeout '');"),
    ).toEqual([])
  })

  it('does not validate servers of other wrappers', () => {
    expect(
      errorsOf(
        "create foreign data wrapper other; create server s foreign data wrapper other options (host 'x');",
      ),
    ).toEqual([])
    expect(errorsOf("create server s foreign data wrapper nosuch options (host 'x');")).toEqual([
      'foreign-data wrapper "nosuch" does not exist',
    ])
    // another wrapper with PL/Proxy's validator is validated like plproxy
    expect(
      errorsOf(`create foreign data wrapper p3 validator plproxy_fdw_validator;
        create server s foreign data wrapper p3 options (p0 'a', p1 'b', p2 'c');`),
    ).toEqual([
      'Pl/Proxy: invalid number of partitions / the number of partitions in a cluster must be power of 2 (attempted 3)',
    ])
  })
})

describe('ALTER SERVER validates the resulting option list', () => {
  const base = "create server s foreign data wrapper plproxy options (p0 'a', p1 'b');\n"
  it('adding a lone partition breaks the power of two', () => {
    expect(errorsOf(`${base}alter server s options (add p2 'c');`)).toEqual([
      'Pl/Proxy: invalid number of partitions / the number of partitions in a cluster must be power of 2 (attempted 3)',
    ])
  })
  it('set, add and drop as PostgreSQL applies them', () => {
    expect(errorsOf(`${base}alter server s options (set p1 'x', add p2 'c', add p3 'd');`)).toEqual([])
    expect(errorsOf(`${base}alter server s options (drop p9);`)).toEqual(['option "p9" not found'])
    expect(errorsOf(`${base}alter server s options (add p1 'z');`)).toEqual([
      'option "p1" provided more than once',
    ])
  })
  it('a missing server', () => {
    expect(errorsOf("alter server nope options (add p0 'a');")).toEqual(['server "nope" does not exist'])
  })
})

describe('user mappings and the wrapper', () => {
  const base = "create server s foreign data wrapper plproxy options (p0 'a');\n"
  it('user mappings take only user and password', () => {
    expect(
      errorsOf(`${base}create user mapping for public server s options (user 'u', PASSWORD 'p');`),
    ).toEqual([])
    expect(errorsOf(`${base}create user mapping for bob server s options (host 'x');`)).toEqual([
      'Pl/Proxy: invalid option to user mapping / valid options are "user" and "password"',
    ])
  })
  it('one mapping per user and server', () => {
    expect(
      errorsOf(`${base}create user mapping for bob server s; create user mapping for bob server s;`),
    ).toEqual(['user mapping for "bob" already exists for server "s"'])
    expect(errorsOf(`${base}alter user mapping for bob server s options (add user 'x');`)).toEqual([
      'user mapping for "bob" does not exist for server "s"',
    ])
  })
  it('wrapper options follow the server option rules without partitions', () => {
    expect(errorsOf("alter foreign data wrapper plproxy options (add p0 'x');")).toEqual([
      'Pl/Proxy: invalid server option: p0',
    ])
    expect(errorsOf("alter foreign data wrapper plproxy options (add query_timeout '5');")).toEqual([])
  })
  it('an option without a value (reachable only through the validator function itself)', () => {
    expect(validatePlproxyOptions('server', [{ name: 'test' }])).toMatchObject({
      message: 'Pl/Proxy: option "test" requires a value',
      sqlstate: '42601',
    })
  })
})
