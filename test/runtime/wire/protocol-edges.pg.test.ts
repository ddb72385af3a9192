/**
 * The corners of the protocol a real server does not show on demand,
 * against a scripted server on 127.0.0.1 (no PostgreSQL needed): a
 * connection dropped mid-query or during startup, unsupported
 * authentication, answers to SSLRequest, a silent server, protocol
 * violations, Terminate on end().
 */
import { afterEach, describe, expect, it } from 'vitest'
import {
  connectWire,
  type WireConnection,
  WireProtocolError,
  WireServerError,
} from '../../../src/runtime/wire/index.js'
import { rejection } from '../integration/helpers.js'
import { AUTH_OK, type FakeServer, fakeServer, KEY, message, READY, trustLogin } from './fake-server.js'

const SERVER_CLOSED =
  'server closed the connection unexpectedly\n\tThis probably means the server terminated abnormally\n\tbefore or while processing the request.'

describe('WireConnection against a scripted server', () => {
  let server: FakeServer | undefined
  const conns: WireConnection[] = []

  afterEach(async () => {
    for (const c of conns.splice(0)) c.destroy()
    await server?.close()
    server = undefined
  })

  const connect = async (
    script: Parameters<typeof fakeServer>[0],
    options: Parameters<typeof connectWire>[0] = {},
  ) => {
    server = await fakeServer(script)
    return connectWire({ host: '127.0.0.1', port: server.port, user: 'u', sslmode: 'disable', ...options })
  }

  it('sends user, database, client_encoding UTF8 and the given parameters in the startup packet', async () => {
    let startup: Buffer | undefined
    const c = await connect(
      async (peer) => {
        startup = await trustLogin(peer)
      },
      { database: 'd', parameters: { application_name: 'app', options: '-c x=1' } },
    )
    conns.push(c)
    expect(startup!.readInt32BE(4)).toBe(196608)
    expect(startup!.subarray(8).toString('latin1').split('\0')).toEqual([
      'user',
      'u',
      'database',
      'd',
      'application_name',
      'app',
      'options',
      '-c x=1',
      'client_encoding',
      'UTF8',
      '',
      '',
    ])
    expect([c.processId, c.secretKey, c.parameters.get('server_version')]).toEqual([4242, 99, '15.0'])
  })

  it('a connection dropped mid-query rejects the query with libpq`s message, and onClose fires', async () => {
    const c = await connect(async (peer) => {
      await trustLogin(peer)
      await peer.readMessage() // Parse
      peer.write(message('1'))
      peer.socket.destroy()
    })
    conns.push(c)
    const closed = new Promise<Error | undefined>((resolve) => {
      c.onClose = resolve
    })
    const e = await rejection(c.query('select 1'))
    expect(e.message).toBe(SERVER_CLOSED)
    expect(await closed).toBeUndefined()
    expect(c.closed).toBe(true)
  })

  it('a connection dropped during startup is a connect failure with the same message', async () => {
    const e = await rejection(
      connect(async (peer) => {
        await peer.readPacket()
        peer.socket.destroy()
      }),
    )
    expect(e.message).toBe(SERVER_CLOSED)
  })

  it('unsupported authentication methods fail with libpq`s words', async () => {
    for (const [code, text] of [
      [7, 'GSSAPI authentication not supported'],
      [9, 'SSPI authentication not supported'],
      [2, 'Kerberos 5 authentication not supported'],
      [6, 'SCM_CRED authentication method not supported'],
      [42, 'authentication method 42 not supported'],
    ] as const) {
      const e = await rejection(
        connect(async (peer) => {
          await peer.readPacket()
          peer.write(message('R', code))
        }),
      )
      expect(e.message).toBe(text)
      await server?.close()
    }
    const sasl = await rejection(
      connect(async (peer) => {
        await peer.readPacket()
        peer.write(message('R', 10, 'SCRAM-SHA-256-PLUS', Buffer.from([0])))
      }),
    )
    expect(sasl.message).toBe("none of the server's SASL authentication mechanisms are supported")
  })

  it('a server that skips the SCRAM server signature is refused', async () => {
    const e = await rejection(
      connect(
        async (peer) => {
          await peer.readPacket()
          peer.write(message('R', 10, 'SCRAM-SHA-256', Buffer.from([0])))
          await peer.readMessage()
          peer.write(AUTH_OK, READY)
        },
        { credentials: { password: 'p' } },
      ),
    )
    expect(e.message).toBe('server sent authentication OK before the SCRAM exchange was complete')
  })

  it('SSLRequest answered with an ErrorResponse: the server error; with garbage: a protocol error', async () => {
    const e = (await rejection(
      connect(
        async (peer) => {
          await peer.readPacket()
          peer.write(message('E', Buffer.from('SFATAL\0C53300\0Msorry, too many clients already\0\0')))
        },
        { sslmode: 'prefer' },
      ),
    )) as unknown as WireServerError
    expect(e).toBeInstanceOf(WireServerError)
    expect({ code: e.code, message: e.message }).toEqual({
      code: '53300',
      message: 'sorry, too many clients already',
    })
    await server?.close()
    const garbage = await rejection(
      connect(
        async (peer) => {
          await peer.readPacket()
          peer.write(Buffer.from('X'))
        },
        { sslmode: 'prefer' },
      ),
    )
    expect(garbage.message).toBe('received invalid response to SSL negotiation: X')
  })

  it('sslmode prefer: the startup packet follows an N answer on the same connection', async () => {
    let packets = 0
    const c = await connect(
      async (peer) => {
        const ssl = await peer.readPacket()
        packets++
        expect(ssl.readInt32BE(4)).toBe(80877103)
        peer.write(Buffer.from('N'))
        await trustLogin(peer)
        packets++
      },
      { sslmode: 'prefer' },
    )
    conns.push(c)
    await Promise.all(server!.done)
    expect(packets).toBe(2)
    expect(c.tlsInUse).toBe(false)
  })

  it('connectTimeoutMs bounds a silent server: "timeout expired"', async () => {
    const started = Date.now()
    const e = (await rejection(connect(async () => {}, { connectTimeoutMs: 300 }))) as NodeJS.ErrnoException
    expect(e.message).toBe('timeout expired')
    expect(Date.now() - started).toBeGreaterThanOrEqual(290)
    expect(Date.now() - started).toBeLessThan(2000)
  })

  it('an abort signal ends the attempt at once', async () => {
    const ac = new AbortController()
    server = await fakeServer(async () => {})
    const started = Date.now()
    setTimeout(() => ac.abort(new Error('caller gone')), 50)
    const e = await rejection(
      connectWire({ host: '127.0.0.1', port: server.port, user: 'u', sslmode: 'disable' }, ac.signal),
    )
    expect(e.name).toBe('AbortError')
    expect((e.cause as Error).message).toBe('caller gone')
    expect(Date.now() - started).toBeLessThan(1000)
  })

  it('an unexpected message type breaks the connection: the query rejects with a protocol error', async () => {
    const c = await connect(async (peer) => {
      await trustLogin(peer)
      await peer.readMessage()
      peer.write(message('1'), message('2'), message('?', 1))
    })
    conns.push(c)
    const e = await rejection(c.query('select 1'))
    expect(e).toBeInstanceOf(WireProtocolError)
    expect(e.message).toBe('unexpected message type 0x3f from the server')
    expect(c.closed).toBe(true)
  })

  it('a message over maxMessageSize breaks the connection', async () => {
    const c = await connect(
      async (peer) => {
        await trustLogin(peer)
        await peer.readMessage()
        peer.write(message('1'), message('2'), message('D', Buffer.alloc(2000)))
      },
      { maxMessageSize: 1024 },
    )
    conns.push(c)
    expect((await rejection(c.query('select 1'))).message).toMatch(/too large/)
  })

  it('NegotiateProtocolVersion is noted; startup notices reach onNotice when set', async () => {
    const c = await connect(async (peer) => {
      await peer.readPacket()
      peer.write(message('v', 0, 1, '_pq_.x'), AUTH_OK, KEY, READY)
    })
    conns.push(c)
    expect(c.unrecognizedOptions).toEqual(['_pq_.x'])
  })

  it('end() sends Terminate and resolves when the socket closes', async () => {
    let last: Buffer | undefined
    const c = await connect(async (peer) => {
      await trustLogin(peer)
      last = await peer.readMessage()
    })
    await c.end()
    await Promise.all(server!.done)
    expect(last?.toString('latin1')).toBe('X\0\0\0\x04')
    expect(c.closed).toBe(true)
    expect((await rejection(c.query('select 1'))).message).toBe('no connection to the server')
  })

  it('a COPY FROM STDIN is refused with CopyFail', async () => {
    let copyFail: Buffer | undefined
    const c = await connect(async (peer) => {
      await trustLogin(peer)
      await peer.readMessage()
      peer.write(message('1'), message('2'), message('G', Buffer.from([0, 0, 0])))
      for (;;) {
        const m = await peer.readMessage()
        if (m[0] === 0x66) {
          copyFail = m
          peer.write(message('E', Buffer.from('SERROR\0C57014\0MCOPY from stdin failed\0\0')), READY)
          return
        }
      }
    })
    conns.push(c)
    const e = (await rejection(c.query('copy t from stdin'))) as unknown as WireServerError
    expect(e.message).toBe('COPY from stdin failed')
    expect(copyFail?.subarray(5).toString()).toBe('COPY is not supported by this client\0')
  })
})
