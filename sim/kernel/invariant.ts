/**
 * Invariants: programmer errors and broken model invariants crash the run with where it was.
 *
 * Why: an invariant violation means the numbers of this run cannot be trusted; the only correct response is to
 * stop, with the simulated time and event count so that the run can be reproduced from its seed
 * (TIGER_STYLE on assertions). Expected protocol rejections are values, not exceptions.
 */
export class InvariantError extends Error {
  readonly time: number;
  readonly event: number;
  constructor(message: string, time = -1, event = -1) {
    super(time >= 0 ? `${message} [t=${time} µs, event ${event}]` : message);
    this.name = "InvariantError";
    this.time = time;
    this.event = event;
  }
}

/** Assert `cond`; throw InvariantError with `message` otherwise. */
export function invariant(cond: unknown, message: string | (() => string)): asserts cond {
  if (!cond) throw new InvariantError(typeof message === "string" ? message : message());
}
