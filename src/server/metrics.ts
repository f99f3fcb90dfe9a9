// Prometheus text exposition of the API server's own counters.

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class ApiMetrics {
  private readonly requests = new Map<string, number>();
  private readonly durations = new Map<string, { buckets: number[]; sum: number; count: number }>();
  loginFailures = 0;
  private readonly started = Date.now();
  private readonly gauges: { name: string; help: string; read: () => number }[] = [];

  /** A value read at scrape time. */
  gauge(name: string, help: string, read: () => number): void {
    this.gauges.push({ name, help, read });
  }

  observe(method: string, route: string, status: number, seconds: number): void {
    const k = `method="${esc(method)}",route="${esc(route)}",status="${status}"`;
    this.requests.set(k, (this.requests.get(k) ?? 0) + 1);
    const dk = `method="${esc(method)}",route="${esc(route)}"`;
    let d = this.durations.get(dk);
    if (!d) this.durations.set(dk, (d = { buckets: BUCKETS.map(() => 0), sum: 0, count: 0 }));
    BUCKETS.forEach((b, i) => {
      if (seconds <= b) d.buckets[i] = (d.buckets[i] ?? 0) + 1;
    });
    d.sum += seconds;
    d.count += 1;
  }

  render(): string {
    const out: string[] = [];
    out.push('# HELP sekisho_api_requests_total HTTP requests served by the API server.');
    out.push('# TYPE sekisho_api_requests_total counter');
    for (const [k, v] of this.requests) out.push(`sekisho_api_requests_total{${k}} ${v}`);
    out.push('# HELP sekisho_api_request_duration_seconds Time to answer an API request.');
    out.push('# TYPE sekisho_api_request_duration_seconds histogram');
    for (const [k, d] of this.durations) {
      BUCKETS.forEach((b, i) =>
        out.push(`sekisho_api_request_duration_seconds_bucket{${k},le="${b}"} ${d.buckets[i] ?? 0}`),
      );
      out.push(`sekisho_api_request_duration_seconds_bucket{${k},le="+Inf"} ${d.count}`);
      out.push(`sekisho_api_request_duration_seconds_sum{${k}} ${d.sum}`);
      out.push(`sekisho_api_request_duration_seconds_count{${k}} ${d.count}`);
    }
    out.push('# HELP sekisho_api_login_failures_total Failed login attempts.');
    out.push('# TYPE sekisho_api_login_failures_total counter');
    out.push(`sekisho_api_login_failures_total ${this.loginFailures}`);
    for (const g of this.gauges) {
      out.push(`# HELP ${g.name} ${g.help}`);
      out.push(`# TYPE ${g.name} ${g.name.endsWith('_total') ? 'counter' : 'gauge'}`);
      out.push(`${g.name} ${g.read()}`);
    }
    out.push('# HELP sekisho_api_uptime_seconds Seconds since the API server started.');
    out.push('# TYPE sekisho_api_uptime_seconds gauge');
    out.push(`sekisho_api_uptime_seconds ${(Date.now() - this.started) / 1000}`);
    return out.join('\n') + '\n';
  }
}
