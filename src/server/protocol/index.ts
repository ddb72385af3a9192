/** The PostgreSQL wire protocol v3, server side: frontend decoder, backend encoder, violations. */
export * from './backend.js'
export * from './errors.js'
export * from './frontend.js'
