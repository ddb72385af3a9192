export { type CsvOptions, csvField, formatCsv } from './csv.js'
export {
  codePointWidth,
  type DisplayLine,
  displayWidth,
  formatDisplayLines,
  psqlValidate,
} from './display-width.js'
export { formatJson, jsonKeys } from './json.js'
export type { ResultColumn, TextResult } from './result.js'
export { formatTable, RIGHT_ALIGNED_TYPE_OIDS, type TableOptions } from './table.js'
