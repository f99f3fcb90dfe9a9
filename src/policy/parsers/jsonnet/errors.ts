// Errors of the Jsonnet evaluator: static (lexing/parsing) and runtime ones, each with the location of the
// expression and, for runtime errors, the stack of calls that led there (as jsonnet prints it).
export interface Loc {
  file: string;
  line: number;
  col: number;
}

export class JsonnetError extends Error {
  readonly stack2: Loc[] = [];
  constructor(
    readonly kind: 'static' | 'runtime',
    message: string,
    readonly loc?: Loc,
  ) {
    super(message);
    this.name = 'JsonnetError';
  }

  /** `STATIC ERROR: file:line:col: msg` / `RUNTIME ERROR: msg` with the trace, as the jsonnet CLI prints. */
  format(): string {
    const where = (l: Loc) => `${l.file}:${l.line}:${l.col}`;
    if (this.kind === 'static') return `STATIC ERROR: ${this.loc ? where(this.loc) + ': ' : ''}${this.message}`;
    const trace = [this.loc, ...this.stack2].filter((l): l is Loc => !!l).map((l) => `\t${where(l)}`);
    return [`RUNTIME ERROR: ${this.message}`, ...trace.slice(0, 20)].join('\n');
  }
}
