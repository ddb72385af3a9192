/**
 * Argument and result values: PostgreSQL's input functions for the types the runtime understands
 * natively, array literals, JS value → text parameter (encode) and result text → JS value (decode).
 */
export {
  type ArrayContents,
  type ArrayLiteral,
  MAX_ARRAY_DIMENSIONS,
  parseArrayLiteral,
  printArrayLiteral,
  quoteArrayElement,
} from './array-literal.js'
export { binaryToText, textToBinary } from './binary.js'
export {
  type DecodeOptions,
  decodeValue,
  resultParser,
  resultTypeOid,
  type TextParser,
  type TypeParsers,
} from './decode.js'
export { type EncodeOptions, encodeValue, quoteRecordField } from './encode.js'
export { float4in, float4out, float8in, float8out } from './float.js'
export {
  arrayDelimiterOf,
  arrayElementOf,
  boolin,
  boolout,
  canonicalText,
  int2in,
  int4in,
  int8in,
  type NativeTypeName,
  type NativeValue,
  namein,
  nativeTypeOf,
  numericin,
  oidin,
  readNative,
  textin,
  writeNative,
} from './input.js'
export { PgValueError } from './value-error.js'
