/** What the scripts' DDL builds, with PostgreSQL's rules for the objects PL/Proxy depends on. */
import { beforeAll, describe, expect, it } from 'vitest'
import { compileScriptsSync } from '../../../src/compiler/index.js'
import { loadPostgresParser } from '../../../src/parser/index.js'

beforeAll(() => loadPostgresParser())

const compile = (...texts: string[]) =>
  compileScriptsSync(texts.map((text, i) => ({ file: `f${i}.sql`, text })))
const messages = (...texts: string[]) => compile(...texts).diagnostics.map((d) => d.message)
const body = "as $$ cluster 'c'; $$ language plproxy"

describe('types', () => {
  it("an unknown type is PostgreSQL's error", () => {
    // function arguments name the type unquoted, return types quoted, as PostgreSQL words them
    expect(messages(`create function f(a nosuch) returns int ${body};`)).toEqual([
      'type nosuch does not exist',
    ])
    expect(messages(`create function f(a int) returns nosuch ${body};`)).toEqual([
      'type "nosuch" does not exist',
    ])
    expect(messages(`create schema s; create function f(a s.t[]) returns int ${body};`)).toEqual([
      'type s.t[] does not exist',
    ])
    expect(messages(`create function f(a nosuch.t) returns int ${body};`)).toEqual([
      'schema "nosuch" does not exist',
    ])
    expect(messages(`create function f(a a.b.t) returns int ${body};`)).toEqual([
      'cross-database references are not implemented: a.b.t',
    ])
    expect(messages(`create function f(a int4(3)) returns int ${body};`)).toEqual([
      'type modifier is not allowed for type "int4"',
    ])
  })
  it('resolves %TYPE through a table in the script', () => {
    const r = compile(
      `create table users (id int8, name text); create function f(a users.id%type) returns int ${body};`,
    )
    expect(r.functions[0]?.plan?.function.arguments[0]?.type.name).toBe('int8')
  })
  it('follows search_path for creation and lookup', () => {
    const r = compile(`create schema app; set search_path = app, public;
      create type t as (a int); create function f(x t) returns t ${body};`)
    expect(r.functions[0]?.name).toBe('app.f')
    expect(r.functions[0]?.plan?.function.arguments[0]?.type.name).toBe('app.t')
  })
  it('"$user" in search_path is the connected user\'s schema', () => {
    const r = compile(
      `create schema digoal;\n\\c proxy digoal\ncreate schema digoal;\ncreate function f(a int) returns int ${body};`,
    )
    expect(r.functions[0]).toMatchObject({ name: 'digoal.f', database: 'proxy' })
  })
  it('duplicate type names', () => {
    expect(messages("create type t as (a int); create type t as enum ('x');")).toEqual([
      'type "t" already exists',
    ])
    expect(messages('create table t (a int); create table t (b int);')).toEqual([
      'relation "t" already exists',
    ])
  })
})

describe('functions', () => {
  it('CREATE without OR REPLACE of an existing signature fails', () => {
    expect(
      messages(`create function f(a int) returns int ${body}; create function f(a int) returns int ${body};`),
    ).toEqual(['function "f" already exists with same argument types'])
  })
  it('OR REPLACE cannot change the return type or rename inputs', () => {
    expect(
      messages(
        `create function f(a int) returns int ${body}; create or replace function f(a int) returns text ${body};`,
      ),
    ).toEqual(['cannot change return type of existing function'])
    expect(
      messages(
        `create function f(a int) returns int ${body}; create or replace function f(b int) returns int ${body};`,
      ),
    ).toEqual(['cannot change name of input parameter "a"'])
    expect(
      messages(
        `create function f(a int, out x int, out y int) ${body}; create or replace function f(a int, out x int, out z int) ${body};`,
      ),
    ).toEqual(['cannot change return type of existing function'])
  })
  it('OR REPLACE replaces the body', () => {
    const r = compile(
      `create function f(a int) returns int ${body}; create or replace function f(a int) returns int as $$ cluster 'd'; $$ language plproxy;`,
    )
    expect(r.functions).toHaveLength(1)
    expect(r.functions[0]?.plan?.cluster).toEqual({ kind: 'ClusterName', name: 'd' })
  })
  it('overloads are different functions; DROP FUNCTION removes one', () => {
    const r = compile(
      `create function f(a int) returns int ${body}; create function f(a text) returns int ${body}; drop function f(text);`,
    )
    expect(r.functions.map((f) => f.plan?.function.arguments[0]?.type.name)).toEqual(['int4'])
    expect(messages('drop function nosuch(int);')).toEqual(['function nosuch(integer) does not exist'])
    expect(messages('drop function if exists nosuch(int);')).toEqual([])
    expect(
      messages(
        `create function f(a int) returns int ${body}; create function f(a text) returns int ${body}; drop function f;`,
      ),
    ).toEqual(['function name "f" is not unique'])
  })
  it('OUT parameters decide the result type', () => {
    expect(messages(`create function f(a int, out b text) returns int ${body};`)).toEqual([
      'function result type must be text because of OUT parameters',
    ])
    expect(messages(`create function f(a int, out b text, out c int) returns int ${body};`)).toEqual([
      'function result type must be record because of OUT parameters',
    ])
    expect(messages(`create function f(a int) ${body};`)).toEqual(['function result type must be specified'])
  })
  it('parameter rules of CREATE FUNCTION', () => {
    expect(messages(`create function f(a int, a text) returns int ${body};`)).toEqual([
      'parameter name "a" used more than once',
    ])
    expect(messages(`create function f(a int, out a text) ${body};`)).toEqual([])
    expect(messages(`create function f(a int default 1, b int) returns int ${body};`)).toEqual([
      'input parameters after one with a default value must also have defaults',
    ])
  })
  it('each file is its own session: search_path and \\c reset', () => {
    const r = compile(
      `create schema app; set search_path = app;\n\\c other\n`,
      `create function f(a int) returns int ${body};`,
    )
    expect(r.functions[0]).toMatchObject({ name: 'public.f' })
    expect(r.functions[0]?.database).toBeUndefined()
  })
  it('databases are separate catalogs', () => {
    const r = compile(
      `\\c a\ncreate function f(a int) returns int ${body};\n\\c b\ncreate function f(a int) returns int ${body};`,
    )
    expect(r.functions.map((f) => f.database)).toEqual(['a', 'b'])
    expect(r.diagnostics).toEqual([])
  })
})
