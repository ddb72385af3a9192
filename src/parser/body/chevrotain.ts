/**
 * Chevrotain, loaded from its single-file ESM bundle.
 *
 * The package's export map points at `lib/src/api.js`, whose import graph
 * (lodash-es, hundreds of modules) takes ~450 ms to load on this machine;
 * the same code bundled in `lib/chevrotain.mjs` loads in ~30 ms. A command
 * like `plproxy compile` pays that on every start, so the body grammar uses
 * the bundle, falling back to the package entry if it is not there.
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type * as ChevrotainApi from 'chevrotain'

async function load(): Promise<typeof ChevrotainApi> {
  try {
    const entry = createRequire(import.meta.url).resolve('chevrotain')
    const bundle = join(dirname(entry), '..', 'chevrotain.mjs')
    if (existsSync(bundle)) return (await import(pathToFileURL(bundle).href)) as typeof ChevrotainApi
  } catch {
    // fall through to the regular entry point
  }
  return import('chevrotain')
}

/** the whole API, for tools (grammar generation) that need more than the parser does */
export const chevrotain = await load()

export const { createToken, createTokenInstance, CstParser, Lexer, EOF } = chevrotain
