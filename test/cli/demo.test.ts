/** `plproxy demo` on its embedded default (PGlite), as a newcomer runs it. */
import { describe, expect, it } from 'vitest'
import { runCli } from '../../src/cli/main.js'

describe('plproxy demo', () => {
  it('starts embedded partitions, routes the article calls and checks where the rows landed', async () => {
    let stdout = ''
    let stderr = ''
    const code = await runCli(['demo', '--partitions', '2', '--rows', '200'], {
      stdout: (t) => {
        stdout += t
      },
      stderr: (t) => {
        stderr += t
      },
    })
    expect(code, stderr).toBe(0)
    expect(stdout).toContain('2 partitions on PGlite')
    expect(stdout).toContain(
      'proxy functions compiled from examples/digoal/proxy.sql, unchanged: proxy.f_user_login, proxy.f_user_logout',
    )
    // userid 42 hashes to itself and lands on partition 42 & 1 = 0
    expect(stdout).toMatch(/^\s+42 \|\s+42 \|\s+0 \|\s+42 \| digoal\.zhou/m)
    expect(stdout).toContain('✓ every one of the')
    expect(stderr).toContain('partitions: 2/2 ready')
  }, 120_000)

  it('rejects a partition count that is not a power of two', async () => {
    let stderr = ''
    const code = await runCli(['demo', '--partitions', '3'], {
      stdout: () => {},
      stderr: (t) => {
        stderr += t
      },
    })
    expect(code).toBe(2)
    expect(stderr).toBe("plproxy: --partitions must be a power of 2 (PL/Proxy's rule), got 3\n")
  })
})
