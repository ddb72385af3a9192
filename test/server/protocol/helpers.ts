/** Test helpers: hand-built frontend messages and pg-protocol's Parser as the backend oracle. */

import type { BackendMessage } from 'pg-protocol/dist/messages.js'
import { Parser } from 'pg-protocol/dist/parser.js'
import {
  FrontendDecoder,
  type FrontendDecoderOptions,
  type FrontendMessage,
} from '../../../src/server/protocol/index.js'

/** A typed frontend message: type byte, length, body. */
export function frame(type: string | number, ...parts: (Buffer | string | number[])[]): Buffer {
  const body = Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))))
  const head = Buffer.alloc(5)
  head[0] = typeof type === 'string' ? type.charCodeAt(0) : type
  head.writeInt32BE(body.length + 4, 1)
  return Buffer.concat([head, body])
}

/** A startup-phase packet: length, code, body. */
export function packet(code: number, body: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(8)
  head.writeInt32BE(body.length + 8, 0)
  head.writeUInt32BE(code >>> 0, 4)
  return Buffer.concat([head, body])
}

export const cstr = (s: string): Buffer => Buffer.concat([Buffer.from(s), Buffer.from([0])])
export const i16 = (n: number): Buffer => {
  const b = Buffer.alloc(2)
  b.writeInt16BE(n)
  return b
}
export const i32 = (n: number): Buffer => {
  const b = Buffer.alloc(4)
  b.writeInt32BE(n)
  return b
}
export const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(n)
  return b
}

/** Decode a whole byte stream in the normal phase (or as given), returning every message. */
export function decodeAll(
  bytes: Buffer,
  options: FrontendDecoderOptions = { phase: 'normal' },
): FrontendMessage[] {
  const d = new FrontendDecoder(options)
  d.push(bytes)
  const out: FrontendMessage[] = []
  for (let m = d.next(); m !== null; m = d.next()) out.push(m)
  return out
}

/** The error one decode attempt throws, or undefined. */
export function decodeError(bytes: Buffer, options: FrontendDecoderOptions = { phase: 'normal' }): unknown {
  try {
    decodeAll(bytes, options)
    return undefined
  } catch (e) {
    return e
  }
}

/** Parse backend bytes with pg-protocol's Parser (the oracle). */
export function parseBackend(bytes: Buffer): (BackendMessage & Record<string, unknown>)[] {
  const out: (BackendMessage & Record<string, unknown>)[] = []
  new Parser().parse(bytes, (m) => out.push(m as BackendMessage & Record<string, unknown>))
  return out
}

/** Split a backend stream into [type byte, body] without interpreting it. */
export function splitBackend(bytes: Buffer): [string, Buffer][] {
  const out: [string, Buffer][] = []
  let at = 0
  while (at < bytes.length) {
    const len = bytes.readInt32BE(at + 1)
    out.push([String.fromCharCode(bytes[at]!), bytes.subarray(at + 5, at + 1 + len)])
    at += 1 + len
  }
  if (at !== bytes.length) throw new Error('trailing bytes')
  return out
}
