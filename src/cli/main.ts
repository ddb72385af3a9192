/**
 * The `plproxy` command line. Exit status: 0 success, 1 the work failed
 * (a function rejected, a call failed), 2 usage or I/O errors.
 */
import { readFileSync } from 'node:fs'
import { Command, CommanderError, Option } from 'commander'
import type { CallCommandOptions } from './call-command.js'
import { CliUsageError } from './files.js'
import { type Output, processOutput } from './output.js'
import type { ServeCommandOptions } from './serve-command.js'

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string
    }
    return pkg.version
  } catch {
    return 'unknown'
  }
}

function collectVariable(value: string, previous: Map<string, string>): Map<string, string> {
  const eq = value.indexOf('=')
  if (eq <= 0) throw new CliUsageError(`invalid variable "${value}": expected name=value`)
  previous.set(value.slice(0, eq), value.slice(eq + 1))
  return previous
}

export function buildProgram(out: Output, setStatus: (code: number) => void): Command {
  const program = new Command()
  program
    .name('plproxy')
    .description('PL/Proxy-compatible compiler and runtime for Node.js')
    .version(version())
    .configureOutput({ writeOut: (s) => out.stdout(s), writeErr: (s) => out.stderr(s) })
    .exitOverride()

  program
    .command('compile')
    .description('compile the LANGUAGE plproxy functions of SQL files into routing plans')
    .argument(
      '<file.sql...>',
      'SQL files: CREATE FUNCTION … LANGUAGE plproxy, SQL/MED cluster definitions, types',
    )
    .option('--json', 'print one JSON document with the plans and diagnostics')
    .addOption(
      new Option('-v, --variable <name=value>', 'set a psql variable (repeatable)')
        .argParser(collectVariable)
        .default(new Map()),
    )
    .exitOverride()
    .action(async (files: string[], opts: { json?: boolean; variable: Map<string, string> }) => {
      // commands load their modules when run, so `plproxy --help` and each command start fast
      const { compileCommand } = await import('./compile-command.js')
      setStatus(await compileCommand(files, { json: !!opts.json, variables: opts.variable }, out))
    })

  program
    .command('demo')
    .description("the seed article's workload on embedded partitions (PGlite): nothing to install")
    .option('--partitions <n>', 'number of partitions (a power of 2)', '4')
    .option('--rows <n>', 'number of users', '10000')
    .option('--postgres', 'use a throwaway real PostgreSQL cluster instead (needs the server binaries)')
    .exitOverride()
    .action(async (opts: { partitions?: string; rows?: string; postgres?: boolean }) => {
      const { demoCommand } = await import('./demo-command.js')
      setStatus(await demoCommand(opts, out))
    })

  program
    .command('serve')
    .description(
      'a PostgreSQL server in place of the proxy database: psql, pgbench and drivers call the proxy functions',
    )
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:6543')
    .option('--functions <file.sql...>', 'SQL files with the LANGUAGE plproxy functions')
    .option('--clusters <file.sql|file.json...>', 'cluster definitions: SQL/MED DDL or JSON')
    .option(
      '--proxy-db <connstr>',
      'the proxy database: other statements, local SQL expressions, live cluster config, passwords',
    )
    .option(
      '--auth <method>',
      'trust, password, md5 or scram-sha-256 (default: trust on loopback, else scram-sha-256)',
    )
    .option('--users <file>', "passwords, in PgBouncer's userlist.txt format")
    .option('--tls-cert <file>', 'certificate (PEM) for TLS')
    .option('--tls-key <file>', 'private key (PEM) for TLS')
    .option('--max-connections <n>', 'most client connections at once', '100')
    .option(
      '--workers <n>',
      'worker processes, each serving its share of the connections on its own core ("auto": one per CPU)',
      '1',
    )
    .option('--metrics <host:port>', 'serve /metrics (Prometheus) on this address')
    .option('--unix-socket-dir <dir>', 'also listen on <dir>/.s.PGSQL.<port>')
    .option(
      '--ddl-store <where>',
      'where CREATE/DROP FUNCTION from clients is kept: auto (the proxy database, else the last --functions file), proxy-db, file, none',
      'auto',
    )
    .option('--user <name>', 'the role the --functions scripts run as')
    .option('--superuser <name...>', 'roles reported as superusers (default: postgres)')
    .option(
      '--search-path <list>',
      'search_path of sessions without a proxy database to say (default: "$user", public)',
    )
    .addOption(
      new Option('-v, --variable <name=value>', 'set a psql variable (repeatable)')
        .argParser(collectVariable)
        .default(new Map()),
    )
    .exitOverride()
    .action(async (opts: ServeCommandOptions & { variable: Map<string, string> }) => {
      const { serveCommand } = await import('./serve-command.js')
      setStatus(await serveCommand({ ...opts, variables: opts.variable }, out))
    })

  for (const name of ['call', 'explain'] as const) {
    program
      .command(name)
      .description(
        name === 'call'
          ? 'call a proxy function on its partitions and print the rows'
          : 'show where a call would go and what it would send, without running it',
      )
      .argument('<function>', 'the proxy function, optionally schema-qualified')
      .argument('[args...]', 'arguments as PostgreSQL text literals; the bare word NULL is SQL NULL')
      .option('--functions <file.sql...>', 'SQL files with the LANGUAGE plproxy functions')
      .option('--clusters <file.sql|file.json...>', 'cluster definitions: SQL/MED DDL or JSON')
      .option('--proxy-db <connstr>', 'the proxy database, for local SQL expressions and live cluster config')
      .option('--user <name>', 'the role that connects to the partitions (current_user)')
      .option('--args-json <json>', 'the arguments as a JSON array instead')
      .option(
        '--columns <list>',
        'column definition list for RETURNS SETOF record functions: "id int, name text"',
      )
      .addOption(
        new Option('--format <format>', 'output format').choices(['table', 'csv', 'json']).default('table'),
      )
      .addOption(
        new Option('-v, --variable <name=value>', 'set a psql variable (repeatable)')
          .argParser(collectVariable)
          .default(new Map()),
      )
      .exitOverride()
      .action(
        async (fn: string, args: string[], opts: CallCommandOptions & { variable: Map<string, string> }) => {
          const { callCommand } = await import('./call-command.js')
          setStatus(
            await callCommand(fn, args, { ...opts, variables: opts.variable }, out, name === 'explain'),
          )
        },
      )
  }

  return program
}

/** Runs the CLI with the given arguments (without `node` and the script); resolves with the exit status. */
export async function runCli(argv: readonly string[], out: Output = processOutput): Promise<number> {
  let status = 0
  const program = buildProgram(out, (code) => {
    status = code
  })
  try {
    await program.parseAsync([...argv], { from: 'user' })
    return status
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end with exit code 0; usage errors are 2
      return e.exitCode === 0 ? 0 : 2
    }
    if (e instanceof CliUsageError) {
      out.stderr(`plproxy: ${e.message}\n`)
      return 2
    }
    out.stderr(`plproxy: ${(e as Error).message ?? String(e)}\n`)
    return 2
  }
}
