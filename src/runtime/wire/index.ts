/**
 * A lean PostgreSQL wire-protocol client (no node-postgres): message
 * codec, SCRAM/MD5 authentication, and connections with raw-row and relay
 * modes, for the partition executor and the wire server.
 */
export * from './codec.js'
export * from './connection.js'
export * from './scram.js'
