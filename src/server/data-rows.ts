/** DataRow messages as the partitions sent them: their values, without decoding. */
export { dataRowValues } from '../runtime/wire/index.js'
