import { type AdmitDecision, type AdmitRequest, type LimitStore, minuteWindow, type Settlement } from './limit-store';

interface Window {
  start: number;
  count: number;
}

interface Spend {
  periodStart: number;
  spent: number;
  reserved: number;
  inflight: number;
}

/** Counters in this process: exact for one gateway; several replicas need the Redis store. */
export class MemoryLimitStore implements LimitStore {
  private readonly requests = new Map<string, Window>();
  private readonly tokens = new Map<string, Window>();
  private readonly spend = new Map<string, Spend>();

  async admit(req: AdmitRequest): Promise<AdmitDecision> {
    const win = minuteWindow(req.now);
    let rpm: Window | undefined;
    if (req.rpm !== null) {
      rpm = current(this.requests, req.keyId, win.start);
      if (rpm.count >= req.rpm) return { ok: false, reason: 'rpm', retryAfterMs: win.end - req.now };
    }
    if (req.tpm !== null && current(this.tokens, req.keyId, win.start).count >= req.tpm) {
      return { ok: false, reason: 'tpm', retryAfterMs: win.end - req.now };
    }
    if (req.budget !== null) {
      const s = this.spend.get(req.keyId);
      if (s === undefined || s.periodStart !== req.budget.periodStart) return { ok: false, reason: 'seed' };
      const over = s.spent >= req.budget.maxUnits || (s.inflight > 0 && s.spent + s.reserved + req.estimateUnits > req.budget.maxUnits);
      if (over) return { ok: false, reason: 'budget', spentUnits: s.spent };
      s.reserved += req.estimateUnits;
      s.inflight++;
    }
    if (rpm) rpm.count++;
    return { ok: true };
  }

  settle(st: Settlement): void {
    if (st.tokens > 0) current(this.tokens, st.keyId, minuteWindow(st.now).start).count += st.tokens;
    if (st.budget === null) return;
    const s = this.spend.get(st.keyId);
    if (s === undefined || s.periodStart !== st.budget.periodStart) return;
    s.spent += st.costUnits;
    s.reserved = Math.max(0, s.reserved - st.estimateUnits);
    s.inflight = Math.max(0, s.inflight - 1);
  }

  async seed(keyId: string, periodStart: number, _periodEnd: number | null, spentUnits: number): Promise<void> {
    const s = this.spend.get(keyId);
    if (s !== undefined && s.periodStart === periodStart) return;
    this.spend.set(keyId, { periodStart, spent: spentUnits, reserved: 0, inflight: 0 });
  }

  async close(): Promise<void> {
    this.requests.clear();
    this.tokens.clear();
    this.spend.clear();
  }
}

function current(map: Map<string, Window>, keyId: string, start: number): Window {
  let w = map.get(keyId);
  if (w === undefined || w.start !== start) {
    w = { start, count: 0 };
    map.set(keyId, w);
  }
  return w;
}
