// The contract between the evaluator and builtin implementations.
//
// An implementation takes evaluated operands and returns a value, or undefined when the call is undefined.
// It reports bad operands by throwing OperandError (the evaluator turns it into eval_type_error
// "<name>: operand N must be T but got U") and other failures by throwing BuiltinError (eval_builtin_error
// "<name>: <message>"). Both make the call undefined unless strict builtin errors are on.
// A relation (e.g. walk) returns every result as an array instead (the `relation` flag in the catalogue).

import type { Location } from '../errors.ts';
import type { Value } from '../value.ts';

export interface BuiltinContext {
  /** Location of the call being evaluated. */
  readonly location: Location | undefined;
  /**
   * Per-query cache: nondeterministic results (time.now_ns, rand.intn, uuid.rfc4122...) are memoised here so
   * they are stable within one query, and builtins may keep compiled artefacts (regexes, globs) under their own
   * key prefix.
   */
  readonly cache: Map<string, unknown>;
  /** Nanoseconds since the epoch at the start of the query. */
  readonly nowNs: bigint;
  /** Whether builtins that reach the network (http.send, net.lookup_ip_addr) may do so. */
  readonly allowNet: boolean;
  /** When set (capabilities' allow_net), the only hosts network builtins may reach. */
  readonly netHosts?: ReadonlySet<string>;
  /** Receives `print` output. */
  readonly print: (message: string) => void;
  /** Seeded randomness (rand.intn, uuid.rfc4122) so tests can fix it. */
  readonly random: () => number;
}

export type BuiltinImpl = (args: Value[], ctx: BuiltinContext) => Value | undefined;

/** The implementations of one category, keyed by builtin name. */
export type BuiltinGroup = Readonly<Record<string, BuiltinImpl>>;

export class BuiltinError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BuiltinError';
  }
}

export class OperandError extends Error {
  readonly position: number;
  constructor(position: number, message: string) {
    super(message);
    this.name = 'OperandError';
    this.position = position;
  }
}
