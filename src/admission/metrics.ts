// Prometheus-style metrics of the webhook: request latency histogram (by admission status), request
// counts, violations by constraint and enforcement action.

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export class Metrics {
  private readonly hist = new Map<string, { counts: number[]; sum: number; count: number }>();
  private readonly violations = new Map<string, number>();

  observeRequest(status: 'allow' | 'deny' | 'error', seconds: number): void {
    let h = this.hist.get(status);
    if (!h) this.hist.set(status, (h = { counts: BUCKETS.map(() => 0), sum: 0, count: 0 }));
    BUCKETS.forEach((b, i) => {
      if (seconds <= b) (h.counts[i] as number)++;
    });
    h.sum += seconds;
    h.count++;
  }

  countViolation(constraintKind: string, constraintName: string, action: string): void {
    const k = `constraint_kind="${esc(constraintKind)}",constraint_name="${esc(constraintName)}",enforcement_action="${esc(action)}"`;
    this.violations.set(k, (this.violations.get(k) ?? 0) + 1);
  }

  requests(status: 'allow' | 'deny' | 'error'): number {
    return this.hist.get(status)?.count ?? 0;
  }

  render(): string {
    const out: string[] = [];
    out.push(
      '# HELP gatekeeper_validation_request_duration_seconds Validation webhook request latency',
      '# TYPE gatekeeper_validation_request_duration_seconds histogram',
    );
    for (const [status, h] of this.hist) {
      BUCKETS.forEach((b, i) =>
        out.push(
          `gatekeeper_validation_request_duration_seconds_bucket{admission_status="${status}",le="${b}"} ${h.counts[i] ?? 0}`,
        ),
      );
      out.push(
        `gatekeeper_validation_request_duration_seconds_bucket{admission_status="${status}",le="+Inf"} ${h.count}`,
      );
      out.push(`gatekeeper_validation_request_duration_seconds_sum{admission_status="${status}"} ${h.sum}`);
      out.push(`gatekeeper_validation_request_duration_seconds_count{admission_status="${status}"} ${h.count}`);
    }
    out.push(
      '# HELP gatekeeper_violations Violations found by the webhook, by constraint',
      '# TYPE gatekeeper_violations counter',
    );
    for (const [k, v] of this.violations) out.push(`gatekeeper_violations{${k}} ${v}`);
    return out.join('\n') + '\n';
  }
}

function esc(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
