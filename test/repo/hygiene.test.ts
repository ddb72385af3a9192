/** The repository's own checks, so CI counts them: types, lint and format. */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)
const bin = (name: string) => `node_modules/.bin/${name}`

async function exitOf(cmd: string, args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(cmd, args, { maxBuffer: 32 * 1024 * 1024 })
    return { code: 0, output: stdout + stderr }
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string }
    return {
      code: typeof err.code === 'number' ? err.code : 1,
      output: `${err.stdout ?? ''}${err.stderr ?? ''}`,
    }
  }
}

describe('repository hygiene', () => {
  it('type-checks (tsc --noEmit)', async () => {
    const r = await exitOf(bin('tsc'), ['-p', 'tsconfig.json', '--noEmit'])
    expect(r.output).toBe('')
    expect(r.code).toBe(0)
  })

  it('passes Biome (format and lint)', async () => {
    const r = await exitOf(bin('biome'), ['ci', '--colors=off', '.'])
    expect(r.code, r.output).toBe(0)
  })
})
