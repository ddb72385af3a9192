import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { binaryToText, textToBinary } from '../../../src/runtime/values/index.js'
import { sharedCluster, skipWithoutPostgres } from '../../harness/shared-cluster.js'

const skip = skipWithoutPostgres('binary formats against PostgreSQL')

const CASES: Record<string, string[]> = {
  bool: ['true', 'false'],
  int2: ['0', '-32768', '32767'],
  int4: ['0', '-2147483648', '2147483647', '42'],
  int8: ['0', '-9223372036854775808', '9223372036854775807'],
  oid: ['0', '4294967295', '16384'],
  float4: ['0', '-1.5', '3.14159', '1e30', 'Infinity', '-Infinity', 'NaN', '1.17549e-38'],
  float8: ['0', '-1.5', '3.141592653589793', '1e300', '5e-324', 'Infinity', 'NaN'],
  numeric: [
    '0',
    '-0.5',
    '1.50',
    '123456789.0001',
    '-99999999999999999999.123',
    '0.00001',
    '10000',
    'NaN',
    '1e-20',
    '12345678901234567890',
  ],
  text: ['', 'plain', 'ünï ☃'],
  varchar: ['x'],
  bpchar: ['ab  '],
  name: ['some_name'],
  bytea: ['\\x', '\\x00ff10'],
  uuid: ['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'],
  json: ['{"a": [1, 2]}'],
  jsonb: ['{"a": [1, 2]}'],
  date: ['2000-01-01', '1999-12-31', '2026-11-24', '0044-03-15 BC', 'infinity', '-infinity'],
  timestamp: [
    '2000-01-01 00:00:00',
    '2026-11-24 16:20:01.123456',
    '1969-07-20 20:17:40.5',
    'infinity',
    '0007-08-09 10:11:12',
    '0100-02-28 01:02:03.000001 BC',
  ],
  timestamptz: ['2000-01-01 00:00:00+00', '2026-11-24 16:20:01.000001+00', '1900-01-01 00:00:00+00'],
  time: ['00:00:00', '23:59:59.999999', '12:34:56.5', '24:00:00'],
  timetz: ['00:00:00+00', '12:34:56.25+05:30', '23:59:59-08', '01:02:03+05:53:28'],
  // arrays pgjdbc's binary transfer asks for, and others of the same kinds
  _int4: ['{}', '{1,2,3}', '{{1,NULL},{3,4}}', '[0:1]={7,8}'],
  _int2: ['{-32768,0,32767}'],
  _int8: ['{9223372036854775807,NULL}'],
  _float4: ['{1.5,-0,Infinity}'],
  _float8: ['{3.141592653589793,NaN}'],
  _numeric: ['{1.50,-0.001,NaN}'],
  _text: ['{a,"b c","","NULL",NULL,"x\\"y"}', '{{a,b},{c,d}}'],
  _varchar: ['{x,y}'],
  _bool: ['{t,f,NULL}'],
  _bytea: ['{"\\\\x00ff",NULL}'],
  _uuid: ['{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}'],
  _date: ['{2000-01-01,infinity}'],
  _timestamp: ['{"2026-11-24 16:20:01.5"}'],
  _timestamptz: ['{"2026-11-24 16:20:01+00"}'],
  _time: ['{12:00:00,NULL}'],
  _timetz: ['{12:00:00+01}'],
  _jsonb: ['{"{\\"a\\": 1}"}'],
}

describe.skipIf(skip)('binary formats equal PostgreSQL’s send/receive', () => {
  let client: pg.Client
  beforeAll(async () => {
    client = new pg.Client(sharedCluster().clientConfig('postgres'))
    await client.connect()
    await client.query("set timezone = 'UTC'; set extra_float_digits = 1")
  })
  afterAll(() => client?.end())

  for (const [type, values] of Object.entries(CASES)) {
    it(type, async () => {
      for (const value of values) {
        // PostgreSQL's own binary form and text form of the value
        const meta = await client.query(
          'select oid, typsend::text as send, typoutput::text as output from pg_type where typname = $1',
          [type],
        )
        const { send, output } = meta.rows[0] as { send: string; output: string }
        const res = await client.query({
          // the type's output function (a cast to text prints bool as `true`, trims bpchar)
          text: `select ${output}($1::${type})::text as t, ${send}($1::${type}) as b, ${meta.rows[0].oid}::int4 as oid`,
          values: [value],
        })
        const { t, b, oid } = res.rows[0] as { t: string; b: Buffer; oid: number }
        const bin = b
        expect(binaryToText(oid, bin), `${type} ${value}`).toBe(t)
        expect(textToBinary(oid, t).toString('hex'), `${type} ${value}`).toBe(bin.toString('hex'))
      }
    })
  }

  it('results as partitions print them in other zones and formats: timestamptz offsets, escaped bytea', async () => {
    const partition = new pg.Client(sharedCluster().clientConfig('postgres'))
    await partition.connect()
    try {
      await partition.query("set timezone = 'Asia/Kolkata'; set bytea_output = 'escape'")
      for (const [type, send, oid, value] of [
        ['timestamptz', 'timestamptz_send', 1184, '2026-11-24 16:20:01.25+00'],
        ['timestamptz', 'timestamptz_send', 1184, '1900-01-01 00:00:00+00'],
        ['bytea', 'byteasend', 17, '\\x610001025c5cff'],
      ] as const) {
        const printed = (await partition.query({ text: `select $1::${type}::text as t`, values: [value] }))
          .rows[0].t
        const sent = (await client.query({ text: `select ${send}($1::${type}) as b`, values: [value] }))
          .rows[0].b
        expect(textToBinary(oid, printed).toString('hex'), `${type} ${printed}`).toBe(sent.toString('hex'))
      }
    } finally {
      await partition.end()
    }
  })
})
