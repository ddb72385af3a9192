/** Authentication for the wire server: the users file, SCRAM/md5 helpers and the server-side exchanges. */
export * from './methods.js'
export { saslprep } from './saslprep.js'
export * from './scram.js'
export * from './users-file.js'
