/** Small helpers to compile one function from a signature and a body in tests. */
import { type CompiledFunction, type CompileResult, compileScriptsSync } from '../../src/compiler/index.js'

let counter = 0

export interface OneFunction {
  readonly fn: CompiledFunction
  readonly result: CompileResult
  /** the first error's message, if the function was rejected */
  readonly error?: string
}

/**
 * Compiles `create function <name><signature> <rest> as $body$<body>$body$ language plproxy;`
 * after optional setup SQL. `signature` is e.g. `(a int4) returns int`.
 */
export function compileOne(signature: string, body: string, setup = '', name?: string): OneFunction {
  counter += 1
  const fname = name ?? `f${counter}`
  const text = `${setup}\ncreate function ${fname}${signature} as $body$${body}$body$ language plproxy;\n`
  const result = compileScriptsSync([{ file: 'test.sql', text }])
  const fn = result.functions[result.functions.length - 1]
  if (!fn)
    throw new Error(
      `no function compiled from:\n${text}\n${result.diagnostics.map((d) => d.message).join('\n')}`,
    )
  const error = fn.diagnostics.find((d) => d.severity === 'error')?.message
  return { fn, result, ...(error !== undefined ? { error } : {}) }
}

/** The plan, failing the test with the diagnostics when the function was rejected. */
export function planOf(signature: string, body: string, setup = '') {
  const { fn, error } = compileOne(signature, body, setup)
  if (!fn.plan) throw new Error(`rejected: ${error}`)
  return fn.plan
}
