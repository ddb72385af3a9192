import { describe, expect, it } from 'vitest'
import {
  PgValueError,
  parseArrayLiteral,
  printArrayLiteral,
  quoteArrayElement,
} from '../../../src/runtime/values/index.js'

function failure(text: string, delimiter = ','): { code: string; message: string; detail?: string } {
  try {
    parseArrayLiteral(text, delimiter)
  } catch (e) {
    if (e instanceof PgValueError) {
      return { code: e.sqlstate, message: e.message, ...(e.detail === undefined ? {} : { detail: e.detail }) }
    }
    throw e
  }
  throw new Error(`expected ${text} to be rejected`)
}

describe('parseArrayLiteral reads what array_in reads', () => {
  it('reads one-dimensional arrays with NULLs, quotes, escapes and whitespace', () => {
    expect(parseArrayLiteral('{1,2,NULL}')).toEqual({
      ndim: 1,
      dims: [3],
      lowerBounds: [1],
      elements: ['1', '2', null],
    })
    expect(parseArrayLiteral(' { a b , "c d" , "NULL", null, \\N\\ULL , "x\\"y\\\\" } ').elements).toEqual([
      'a b',
      'c d',
      'NULL',
      null,
      'NULL',
      'x"y\\',
    ])
    expect(parseArrayLiteral('{"",  " " }').elements).toEqual(['', ' '])
  })

  it('reads nested arrays in row-major order', () => {
    const lit = parseArrayLiteral('{{1,2,3},{4,5,6}}')
    expect(lit.ndim).toBe(2)
    expect(lit.dims).toEqual([2, 3])
    expect(lit.elements).toEqual(['1', '2', '3', '4', '5', '6'])
  })

  it('reads explicit dimensions', () => {
    const lit = parseArrayLiteral('[0:1][-1:0] = {{a,b},{c,d}}')
    expect(lit.lowerBounds).toEqual([0, -1])
    expect(lit.dims).toEqual([2, 2])
    expect(lit.elements).toEqual(['a', 'b', 'c', 'd'])
  })

  it('reads empty arrays as zero dimensions', () => {
    expect(parseArrayLiteral('{}')).toEqual({ ndim: 0, dims: [], lowerBounds: [], elements: [] })
    expect(parseArrayLiteral('{ } ').ndim).toBe(0)
  })

  it('splits on the type delimiter', () => {
    expect(parseArrayLiteral('{(1,1),(0,0);(2,2),(1,1)}', ';').elements).toEqual([
      '(1,1),(0,0)',
      '(2,2),(1,1)',
    ])
  })

  it.each([
    ['a', 'a', 'Array value must start with "{" or dimension information.'],
    ['  {1,2', '{1,2', 'Unexpected end of input.'],
    ['[1:2]={1,2', '{1,2', 'Unexpected end of input.'],
    ['{{1,2},{3}}', '{{1,2},{3}}', 'Multidimensional arrays must have sub-arrays with matching dimensions.'],
    ['{{}}', '{{}}', 'Unexpected "}" character.'],
    ['{1,{2}}', '{1,{2}}', 'Unexpected "{" character.'],
    ['{"a"b}', '{"a"b}', 'Unexpected array element.'],
    ['{a"b"}', '{a"b"}', 'Unexpected array element.'],
    ['{a,}', '{a,}', 'Unexpected "}" character.'],
    ['{,}', '{,}', 'Unexpected "," character.'],
    ['{}}', '{}}', 'Junk after closing right brace.'],
    ['{\\', '{\\', 'Unexpected end of input.'],
    ['[1:2][1:1]={1,2}', '[1:2][1:1]={1,2}', 'Specified array dimensions do not match array contents.'],
    ['[1:99999999999]={1}', '[1:99999999999]={1}', 'Specified array dimensions do not match array contents.'],
    ['[]={1}', '[]={1}', '"[" must introduce explicitly-specified array dimensions.'],
    ['[1:]={1}', '[1:]={1}', 'Missing array dimension value.'],
    ['[1={1}', '[1={1}', 'Missing "]" after array dimensions.'],
    ['[1]{1}', '[1]{1}', 'Missing "=" after array dimensions.'],
    ['[1]=1', '[1]=1', 'Array contents must start with "{".'],
  ])('rejects %j', (text, shown, detail) => {
    expect(failure(text)).toEqual({ code: '22P02', message: `malformed array literal: "${shown}"`, detail })
  })

  it('rejects too many dimensions and bad bounds', () => {
    expect(failure('{{{{{{{1}}}}}}}')).toEqual({
      code: '54000',
      message: 'number of array dimensions (7) exceeds the maximum allowed (6)',
    })
    expect(failure('[1][1][1][1][1][1][1]={1}').code).toBe('54000')
    expect(failure('[2147483647:2147483647]={1}')).toEqual({
      code: '54000',
      message: 'array lower bound is too large: 2147483647',
    })
    expect(failure('[2:1]={}')).toEqual({
      code: '2202E',
      message: 'upper bound cannot be less than lower bound',
    })
  })
})

describe('printArrayLiteral prints what array_out prints', () => {
  it('quotes only where needed', () => {
    expect(
      printArrayLiteral({ elements: ['a', 'b c', null, '', 'NULL', 'nUlL', 'x"\\', '{', 'a,b', 'é'] }),
    ).toBe('{a,"b c",NULL,"","NULL","nUlL","x\\"\\\\","{","a,b",é}')
    expect(quoteArrayElement('a,b', ';')).toBe('a,b')
    expect(quoteArrayElement('a;b', ';')).toBe('"a;b"')
  })

  it('prints dimensions and non-default lower bounds', () => {
    expect(printArrayLiteral({ elements: ['1', '2', '3', '4'], dims: [2, 2] })).toBe('{{1,2},{3,4}}')
    expect(printArrayLiteral({ elements: ['1', '2'], dims: [2], lowerBounds: [0] })).toBe('[0:1]={1,2}')
    expect(printArrayLiteral({ elements: [] })).toBe('{}')
    expect(printArrayLiteral({ elements: ['x', 'y'], dims: [1, 1, 2] })).toBe('{{{x,y}}}')
  })

  it('round-trips through parseArrayLiteral', () => {
    const lit = parseArrayLiteral('[3:4][1:2]={{" a ",b},{NULL,"\\""}}')
    expect(printArrayLiteral(lit)).toBe('[3:4][1:2]={{" a ",b},{NULL,"\\""}}')
  })

  it('refuses dimensions that do not fit the elements', () => {
    expect(() => printArrayLiteral({ elements: ['1'], dims: [2] })).toThrow(RangeError)
  })
})
