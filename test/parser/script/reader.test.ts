/** The script reader: what it extracts from SQL files, and where. */
import { beforeAll, describe, expect, it } from 'vitest'
import { loadPostgresParser, readScriptSync, type ScriptOperation } from '../../../src/parser/index.js'

beforeAll(() => loadPostgresParser())

const ops = (text: string) => readScriptSync({ file: 'x.sql', text }).operations
const only = <K extends ScriptOperation['kind']>(text: string, kind: K) =>
  ops(text).filter((o): o is Extract<ScriptOperation, { kind: K }> => o.kind === kind)

describe('CREATE FUNCTION … LANGUAGE plproxy', () => {
  it('reads the signature as PostgreSQL normalises it', () => {
    const [f] = only(
      `CREATE OR REPLACE FUNCTION public.f_user_login(i_userid int, OUT o_userid integer, inout "Weird" character varying(20)[],
         x numeric(20,10) default 1.5, variadic v text[] = '{}') RETURNS SETOF record
       LANGUAGE plproxy STRICT SECURITY DEFINER AS $$ CLUSTER 'digoal'; $$;`,
      'FunctionDefinition',
    )
    expect(f).toMatchObject({
      schema: 'public',
      name: 'f_user_login',
      orReplace: true,
      strict: true,
      securityDefiner: true,
      volatility: 'volatile',
      returns: { name: 'record', setof: true },
      body: " CLUSTER 'digoal'; ",
    })
    expect(
      f?.arguments.map((a) => [
        a.name,
        a.mode,
        a.type.schema,
        a.type.name,
        a.type.typmods,
        a.type.arrayDimensions,
        a.defaultSql,
      ]),
    ).toEqual([
      ['i_userid', 'in', 'pg_catalog', 'int4', [], 0, undefined],
      ['o_userid', 'out', 'pg_catalog', 'int4', [], 0, undefined],
      ['Weird', 'inout', 'pg_catalog', 'varchar', ['20'], 1, undefined],
      ['x', 'in', 'pg_catalog', 'numeric', ['20', '10'], 0, '1.5'],
      ['v', 'variadic', undefined, 'text', [], 1, "'{}'"],
    ])
  })

  it('RETURNS TABLE, procedures, volatility', () => {
    const [t] = only(
      'create function g() returns table(a int, b text) as $x$ select 1 $x$ language plproxy stable;',
      'FunctionDefinition',
    )
    expect(t).toMatchObject({ returnsTable: true, volatility: 'stable' })
    expect(t?.arguments.map((a) => a.mode)).toEqual(['table', 'table'])
    const [p] = only("create procedure p(a int) language plproxy as 'x';", 'FunctionDefinition')
    expect(p?.isProcedure).toBe(true)
  })

  it('skips functions of other languages and everything else', () => {
    expect(
      ops(
        "create function f() returns int as 'select 1' language sql; insert into t values (1); create index i on t(a);",
      ),
    ).toEqual([])
  })

  it('maps the body back into the file, through doubled quotes', () => {
    const text = "\n\ncreate function g() returns int as 'cluster ''x''; run on 0;' language plproxy;"
    const [f] = only(text, 'FunctionDefinition')
    expect(f?.body).toBe("cluster 'x'; run on 0;")
    expect(f?.bodyLocation.offset).toBe(text.indexOf('cluster'))
    expect(f?.bodyLocation.skips).toEqual([9, 11])
    expect(f?.position).toMatchObject({ line: 3, column: 1 })
  })

  it('positions survive non-ASCII text before them', () => {
    const text = '-- 德哥\ncreate function "ä"(a int) returns int as $$ x $$ language plproxy;'
    const [f] = only(text, 'FunctionDefinition')
    expect(f?.name).toBe('ä')
    expect(text.slice(f!.bodyLocation.offset, f!.bodyLocation.offset + 3)).toBe(' x ')
    expect(f?.arguments[0]?.position.column).toBe(text.split('\n')[1]!.indexOf('a int') + 1)
  })

  it('reports a PostgreSQL syntax error in a plproxy function, with its position', () => {
    const r = readScriptSync({
      file: 'x.sql',
      text: 'select 1;\ncreate function bad( returns int as $$ x $$ language plproxy;',
    })
    expect(r.diagnostics).toMatchObject([
      { message: 'syntax error at or near "as"', sqlstate: '42601', line: 2, column: 34 },
    ])
  })

  it('does not report syntax errors of statements it does not care about', () => {
    expect(readScriptSync({ file: 'x.sql', text: 'create index on on on;' }).diagnostics).toEqual([])
  })
})

describe('SQL/MED and other DDL', () => {
  it('servers, user mappings, grants, wrapper options', () => {
    const text = `create server digoal foreign data wrapper plproxy options (connection_lifetime '1800', p0 'host=a');
      alter server digoal options (add p1 'b', set p0 'c', drop connection_lifetime);
      create user mapping for public server digoal options (user 'x', password 'y');
      create user mapping for current_user server digoal;
      grant usage on foreign server digoal to proxy;
      alter foreign data wrapper plproxy options (query_timeout '5');`
    expect(ops(text).map((o) => o.kind)).toEqual([
      'CreateServer',
      'AlterServer',
      'CreateUserMapping',
      'CreateUserMapping',
      'GrantServerUsage',
      'AlterForeignDataWrapper',
    ])
    const [alter] = only(text, 'AlterServer')
    expect(alter?.changes.map((c) => [c.action, c.name, c.value])).toEqual([
      ['add', 'p1', 'b'],
      ['set', 'p0', 'c'],
      ['drop', 'connection_lifetime', undefined],
    ])
  })

  it('psql \\c switches the database, \\i includes through the resolver', () => {
    const r = readScriptSync(
      { file: 'main.sql', text: '\\c proxy\n\\i types.sql\n\\ir sub/more.sql\n' },
      {
        includeResolver: (path, from, relative) => ({
          file: relative ? `${from}:${path}` : path,
          text: 'create type t as (a int);',
        }),
      },
    )
    expect(r.operations.map((o) => o.kind)).toEqual([
      'ConnectDatabase',
      'CreateCompositeType',
      'CreateCompositeType',
    ])
    expect([...r.files.keys()]).toEqual(['main.sql', 'types.sql', 'main.sql:sub/more.sql'])
  })

  it('an include that cannot be read is a diagnostic at the \\i line', () => {
    const r = readScriptSync(
      { file: 'main.sql', text: 'select 1;\n\\i nope.sql\n' },
      {
        includeResolver: () => {
          throw new Error('no such file or directory')
        },
      },
    )
    expect(r.diagnostics).toMatchObject([
      { message: 'nope.sql: no such file or directory', line: 2, column: 1 },
    ])
  })
})
