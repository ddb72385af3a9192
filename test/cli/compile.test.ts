/** `plproxy compile` as a user runs it: output formats and exit statuses. */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from '../../src/cli/main.js'

async function cli(...argv: string[]) {
  let stdout = ''
  let stderr = ''
  const code = await runCli(argv, {
    stdout: (t) => {
      stdout += t
    },
    stderr: (t) => {
      stderr += t
    },
  })
  return { code, stdout, stderr }
}

function file(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'plproxy-cli-'))
  const path = join(dir, 'f.sql')
  writeFileSync(path, text)
  return path
}

describe('plproxy compile', () => {
  it('compiles the article example with exit status 0', async () => {
    const r = await cli(
      'compile',
      'examples/digoal/cluster.sql',
      'examples/digoal/proxy.sql',
      'examples/digoal/data-node.sql',
    )
    expect(r).toEqual({
      code: 0,
      stdout: '2 functions compiled, 0 rejected, 0 errors, 0 warnings\n',
      stderr: '',
    })
  })

  it('prints file:line:col, the source line and a caret, and exits 1 when a function is rejected', async () => {
    const path = file(
      "-- header\ncreate function f(a int) returns int as $$\n  cluster 'c';\n  run on $2;\n$$ language plproxy;\n",
    )
    const r = await cli('compile', path)
    expect(r.code).toBe(1)
    expect(r.stderr).toBe(
      [
        `${path}:4:10: error: PL/Proxy function public.f(1): Compile error at line 3: invalid argument reference: $2`,
        '  |',
        '4 |   run on $2;',
        '  |          ^^',
        '',
      ].join('\n'),
    )
    expect(r.stdout).toBe('0 functions compiled, 1 rejected, 1 error, 0 warnings\n')
  })

  it('--json prints one document with plans and diagnostics', async () => {
    const path = file(
      "create function ok(a int) returns setof int as $$ cluster 'c'; run on all; $$ language plproxy;\n" +
        'create function bad(a int) returns int as $$ run on a; $$ language plproxy;\n',
    )
    const r = await cli('compile', '--json', path)
    expect(r.code).toBe(1)
    expect(r.stderr).toBe('')
    const doc = JSON.parse(r.stdout)
    expect(doc.functions).toHaveLength(1)
    expect(doc.functions[0]).toMatchObject({
      name: 'public.ok',
      file: path,
      line: 1,
      plan: { kind: 'RoutingPlan', version: 1 },
    })
    expect(doc.diagnostics).toEqual([
      {
        file: path,
        line: 2,
        column: 56,
        severity: 'error',
        function: 'public.bad',
        message: 'PL/Proxy function public.bad(1): Compile error at line 1: CLUSTER statement missing',
        sqlstate: 'XX000',
      },
    ])
  })

  it('warnings do not fail the run', async () => {
    const r = await cli(
      'compile',
      file("create function f(a text) returns int as $$ cluster 'c'; run on a; $$ language plproxy;"),
    )
    expect(r.code).toBe(0)
    expect(r.stderr).toContain(
      'warning: PL/Proxy function public.f(1): Hash result must be int2, int4 or int8',
    )
  })

  it('an unreadable file is a clear message and exit status 2, without a stack trace', async () => {
    const r = await cli('compile', '/nonexistent/x.sql')
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr: 'plproxy: cannot read /nonexistent/x.sql: no such file or directory\n',
    })
    const dir = await cli('compile', tmpdir())
    expect(dir.stderr).toBe(`plproxy: cannot read ${tmpdir()}: is a directory\n`)
  })

  it('usage errors exit with 2', async () => {
    expect((await cli('compile')).code).toBe(2)
    expect((await cli('nosuchcommand')).code).toBe(2)
    expect((await cli('compile', '--bogus', 'x.sql')).code).toBe(2)
  })

  it('--help exits with 0', async () => {
    const r = await cli('compile', '--help')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('Usage: plproxy compile')
  })

  it('-v sets psql variables', async () => {
    const path = file("create server s foreign data wrapper plproxy options (p0 :'conn');")
    expect((await cli('compile', '-v', 'conn=dbname=x', path)).code).toBe(0)
  })
})
