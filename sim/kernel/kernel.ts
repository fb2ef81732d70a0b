/**
 * The simulation kernel: one small heap loop.
 *
 * Purpose: advance simulated time by popping events in (time, insertion seq) order and dispatching each to the
 * handler registered for its kind. Everything a model needs from the world — the clock, randomness, scheduling,
 * metrics, invariant checks — comes through the kernel, which it receives as its `SimContext`; models never read
 * a global clock or random source (STYLE.md principle 3).
 *
 * Method: events are plain records (kind id, integer target, numeric argument, optional object) stored in a
 * struct-of-arrays heap (queue.ts). Kinds are registered by name at setup, in setup order, so kind ids are
 * stable for a given scenario. A running trace hash mixes (time, kind, target) of every processed event plus any
 * value a model chooses to mix in; two runs with the same identity must end with the same hash. Handlers are
 * synchronous; a handler may return a Promise only at the EVM seam (block events), and then `runAsync` awaits
 * that one event before continuing — never two handlers at once (STYLE.md principle 11). No I/O, no Effect.
 */
import { EventQueue, type EventHandle } from "./queue.ts";
import { Prng } from "./prng.ts";
import { TraceHash } from "./traceHash.ts";
import { InvariantError } from "./invariant.ts";
import type { Tick } from "./time.ts";

export type { EventHandle } from "./queue.ts";

/** A handler for one kind of event. `target` is usually a node or entity index; `num` a numeric argument. */
export type Handler<D = unknown> = (ctx: SimContext, target: number, data: D, num: number) => void | Promise<void>;

/** A checker returns undefined when its invariant holds, or a message describing the violation. */
export type Checker = () => string | undefined | void;

export type KindId = number;

/** What a model sees of the world. The kernel implements it. */
export interface SimContext {
  /** Current simulated time in integer microseconds. */
  readonly now: Tick;
  /** Root seed of the run. */
  readonly seed: number;
  /** A named random stream derived from (root seed, label). Same label ⇒ same stream object. */
  rng(label: string): Prng;
  /** Schedule an event `delay` µs from now (delay ≥ 0, rounded to an integer). */
  schedule(delay: number, kind: KindId, target?: number, data?: unknown, num?: number): EventHandle;
  /** Schedule at an absolute time ≥ now. */
  scheduleAt(time: number, kind: KindId, target?: number, data?: unknown, num?: number): EventHandle;
  cancel(handle: EventHandle): boolean;
  /** Mix an outcome into the trace hash (e.g. a decision a model took), so divergence is detected there. */
  traceMix(value: number): void;
  /** End the run at the end of this event with status "stopped" and the reason. */
  stop(reason: string): void;
}

export type RunStatus = "completed" | "event-limit" | "stopped";

export interface RunLimits {
  /** Simulated end time (µs): events after it stay pending. Reaching it is a normal completion. */
  endTime: number;
  /** Maximum events to process. Hitting it is reported as "event-limit" (a liveness failure), never silently. */
  maxEvents?: number;
}

export interface RunOutcome {
  status: RunStatus;
  /** Why the run ended, in words. */
  reason: string;
  /** Simulated time reached (µs). */
  time: number;
  /** Events processed in total. */
  events: number;
  /** Pending (live) events at the end. */
  pending: number;
  traceHash: string;
}

export interface KernelOptions {
  seed: number;
  /** Run every checker after every event (slow, exhaustive). Otherwise checkers run every `checkEvery` events. */
  checkMode?: boolean;
  checkEvery?: number;
  /** Called every `progressEvery` events (the runner shows progress; the kernel never reads wall time). */
  onProgress?: (time: number, events: number) => void;
  progressEvery?: number;
  initialCapacity?: number;
  /**
   * Called for every processed event with (time, event number, kind id, target) — for optional event rows. A
   * single branch per event when absent.
   */
  tracer?: (time: number, event: number, kind: number, target: number) => void;
}

interface KindInfo {
  name: string;
  handler: Handler<any>;
}

/** Thrown when a handler returns a promise under the synchronous `run`. */
export class AsyncHandlerError extends Error {}

export class Kernel implements SimContext {
  readonly seed: number;
  now: Tick = 0 as Tick;
  events = 0;
  readonly queue: EventQueue;
  private readonly kinds: KindInfo[] = [];
  private readonly kindByName = new Map<string, number>();
  private readonly handlers: Handler<any>[] = [];
  private readonly streams = new Map<string, Prng>();
  private readonly checkers: { name: string; fn: Checker }[] = [];
  private readonly trace = new TraceHash();
  private readonly checkMode: boolean;
  private readonly checkEvery: number;
  private readonly onProgress?: (time: number, events: number) => void;
  private readonly progressEvery: number;
  private readonly tracer?: (time: number, event: number, kind: number, target: number) => void;
  private stopReason: string | undefined;
  /** Slot of the event being handled (for error reports). */
  private currentKind = -1;

  constructor(opts: KernelOptions) {
    if (!Number.isSafeInteger(opts.seed)) throw new RangeError(`seed must be a safe integer, got ${opts.seed}`);
    this.seed = opts.seed;
    this.queue = new EventQueue(opts.initialCapacity ?? 1024);
    this.checkMode = opts.checkMode ?? false;
    this.checkEvery = Math.max(1, opts.checkEvery ?? 65536);
    this.onProgress = opts.onProgress;
    this.progressEvery = Math.max(1, opts.progressEvery ?? 131072);
    this.tracer = opts.tracer;
  }

  /** Register an event kind by a stable name. Registration order defines kind ids; names must be unique. */
  register<D>(name: string, handler: Handler<D>): KindId {
    if (this.kindByName.has(name)) throw new Error(`event kind "${name}" registered twice`);
    const id = this.kinds.length;
    this.kinds.push({ name, handler });
    this.handlers.push(handler);
    this.kindByName.set(name, id);
    return id;
  }

  kindName(id: number): string {
    return this.kinds[id]?.name ?? `#${id}`;
  }

  /** Register an invariant checker (see STYLE.md principle 5). */
  addChecker(name: string, fn: Checker): void {
    this.checkers.push({ name, fn });
  }

  rng(label: string): Prng {
    let s = this.streams.get(label);
    if (s === undefined) {
      s = new Prng(this.seed, label);
      this.streams.set(label, s);
    }
    return s;
  }

  schedule(delay: number, kind: KindId, target = 0, data?: unknown, num = 0): EventHandle {
    if (!(delay >= 0)) throw new InvariantError(`schedule: negative or NaN delay ${delay} for ${this.kindName(kind)}`, this.now, this.events);
    return this.queue.push(this.now + Math.round(delay), kind, target, num, data);
  }

  scheduleAt(time: number, kind: KindId, target = 0, data?: unknown, num = 0): EventHandle {
    if (!(time >= this.now)) throw new InvariantError(`scheduleAt: time ${time} before now ${this.now} for ${this.kindName(kind)}`, this.now, this.events);
    return this.queue.push(Math.round(time), kind, target, num, data);
  }

  cancel(handle: EventHandle): boolean {
    return this.queue.cancel(handle);
  }

  traceMix(value: number): void {
    this.trace.mix(value);
  }

  stop(reason: string): void {
    this.stopReason = reason;
  }

  get traceHash(): string {
    return this.trace.hex();
  }

  /** True when every checker runs after every event (check mode): a model may then afford per-event audits. */
  get checkingEveryEvent(): boolean {
    return this.checkMode;
  }

  /** Number of live pending events. */
  get pending(): number {
    return this.queue.live;
  }

  /** Run all checkers now; throws InvariantError on the first violation. */
  runCheckers(): void {
    for (let i = 0; i < this.checkers.length; i++) {
      const c = this.checkers[i];
      const msg = c.fn();
      if (typeof msg === "string") {
        throw new InvariantError(`invariant "${c.name}" violated: ${msg} (after event ${this.kindName(this.currentKind)})`, this.now, this.events);
      }
    }
  }

  /** Run synchronously. Throws AsyncHandlerError if any handler returns a promise (use runAsync then). */
  run(limits: RunLimits): RunOutcome {
    const r = this.slice(limits);
    if (r instanceof Promise) throw new AsyncHandlerError(`handler for "${this.kindName(this.currentKind)}" returned a promise; use runAsync`);
    return r;
  }

  /** Run, awaiting only handlers that return a promise (the EVM seam), one at a time. */
  async runAsync(limits: RunLimits): Promise<RunOutcome> {
    for (;;) {
      const r = this.slice(limits);
      if (!(r instanceof Promise)) return r;
      await r;
      this.afterEvent();
      if (this.stopReason !== undefined) return this.outcome("stopped", this.stopReason);
    }
  }

  /** The hot loop. Returns an outcome, or the promise of an async handler (the caller awaits and resumes). */
  private slice(limits: RunLimits): RunOutcome | Promise<void> {
    const q = this.queue;
    const endTime = limits.endTime;
    const maxEvents = limits.maxEvents ?? Number.MAX_SAFE_INTEGER;
    const handlers = this.handlers;
    const trace = this.trace;
    const tracer = this.tracer;
    const hasCheckers = this.checkers.length > 0;
    const checkAlways = this.checkMode && hasCheckers;
    // Countdowns instead of a modulo per event.
    let checkIn = hasCheckers ? this.checkEvery - (this.events % this.checkEvery) : Number.MAX_SAFE_INTEGER;
    let progressIn = this.onProgress ? this.progressEvery - (this.events % this.progressEvery) : Number.MAX_SAFE_INTEGER;
    if (this.stopReason !== undefined) return this.outcome("stopped", this.stopReason);
    let events = this.events;
    for (;;) {
      if (events >= maxEvents) {
        const t = q.peekTime();
        if (t !== Infinity && t <= endTime) {
          this.events = events;
          this.finalCheck();
          return this.outcome("event-limit", `event limit of ${maxEvents} reached at t=${this.now} µs with ${q.live} events pending`);
        }
      }
      const slot = q.popUntil(endTime);
      if (slot < 0) {
        this.events = events;
        if (slot === -2) this.now = endTime as Tick;
        this.finalCheck();
        return this.outcome("completed", slot === -1 ? "no pending events" : "reached the scenario's end time");
      }
      const t = q.lastTime;
      const kind = q.kind[slot], target = q.target[slot], num = q.num[slot], data = q.data[slot];
      q.release(slot);
      this.now = t as Tick;
      this.currentKind = kind;
      this.events = ++events;
      trace.event(t, kind, target);
      if (tracer !== undefined) tracer(t, events, kind, target);
      const r = handlers[kind](this, target, data, num);
      if (r !== undefined) return r;
      if (checkAlways || --checkIn === 0) {
        checkIn = this.checkEvery;
        this.runCheckers();
      }
      if (--progressIn === 0) {
        progressIn = this.progressEvery;
        this.onProgress!(t, events);
      }
      if (this.stopReason !== undefined) return this.outcome("stopped", this.stopReason);
    }
  }

  private afterEvent(): void {
    if ((this.checkMode && this.checkers.length > 0) || (this.checkers.length > 0 && this.events % this.checkEvery === 0)) this.runCheckers();
  }

  private finalCheck(): void {
    if (this.checkers.length > 0) this.runCheckers();
  }

  private outcome(status: RunStatus, reason: string): RunOutcome {
    return { status, reason, time: this.now, events: this.events, pending: this.queue.live, traceHash: this.trace.hex() };
  }
}
