/** Why a cluster could not be resolved; the caller words it as PL/Proxy does for the calling function. */
export class ClusterError extends Error {
  constructor(
    message: string,
    /** `function`: `PL/Proxy function f(N): …`; `plain`: the message alone (elog / PostgreSQL's own) */
    readonly style: 'function' | 'plain',
    readonly code = 'XX000',
  ) {
    super(message)
  }
}
