/** The throwaway PostgreSQL clusters of the tests are the demo's (src/demo/pg-cluster.ts). */
export * from '../../src/demo/pg-cluster.js'
