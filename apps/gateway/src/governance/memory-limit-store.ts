import { type AdmitDecision, type AdmitRequest, IN_FLIGHT_RETRY_MS, type LimitStore, minuteWindow, type Settlement } from './limit-store';

interface Window {
  start: number;
  count: number;
}

/** A key's requests in flight and what they reserved. */
interface InFlight {
  holds: Map<string, { units: number; tokens: number }>;
  units: number;
  tokens: number;
}

/** Counters in this process: exact for one gateway; several replicas need the Redis store. */
export class MemoryLimitStore implements LimitStore {
  private readonly requests = new Map<string, Window>();
  private readonly tokens = new Map<string, Window>();
  /** key -> settled spend of its current period. */
  private readonly spend = new Map<string, { periodStart: number; spent: number }>();
  private readonly inFlight = new Map<string, InFlight>();

  async admit(req: AdmitRequest): Promise<AdmitDecision> {
    return this.admitNow(req);
  }

  /** Synchronous, so that the check and the reservation cannot interleave with another admission. */
  private admitNow(req: AdmitRequest): AdmitDecision {
    const win = minuteWindow(req.now);
    let rpm: Window | undefined;
    if (req.rpm !== null) {
      rpm = current(this.requests, req.keyId, win.start);
      if (rpm.count >= req.rpm) return { ok: false, reason: 'rpm', retryAfterMs: win.end - req.now };
    }
    const flight = this.inFlight.get(req.keyId);
    const count = flight?.holds.size ?? 0;
    const heldTokens = flight?.tokens ?? 0;
    const heldUnits = flight?.units ?? 0;
    if (req.concurrency !== null && count >= req.concurrency) return { ok: false, reason: 'concurrency', retryAfterMs: IN_FLIGHT_RETRY_MS };
    if (req.tpm !== null) {
      const used = current(this.tokens, req.keyId, win.start).count;
      if (used >= req.tpm) return { ok: false, reason: 'tpm', retryAfterMs: win.end - req.now };
      if (heldTokens > 0 && used + heldTokens + req.reserveTokens > req.tpm) return { ok: false, reason: 'tpm', retryAfterMs: IN_FLIGHT_RETRY_MS };
    }
    if (req.budget !== null) {
      const s = this.spend.get(req.keyId);
      if (s === undefined || s.periodStart !== req.budget.periodStart) return { ok: false, reason: 'seed' };
      if (s.spent + heldUnits + req.reserveUnits > req.budget.maxUnits || s.spent >= req.budget.maxUnits) {
        return { ok: false, reason: 'budget', spentUnits: s.spent, heldUnits };
      }
    }
    if (rpm) rpm.count++;
    const held = req.budget !== null || req.tpm !== null || req.concurrency !== null;
    if (held) {
      const f = flight ?? { holds: new Map(), units: 0, tokens: 0 };
      const units = req.budget === null ? 0 : req.reserveUnits;
      const tokens = req.tpm === null ? 0 : req.reserveTokens;
      f.holds.set(req.holdId, { units, tokens });
      f.units += units;
      f.tokens += tokens;
      if (flight === undefined) this.inFlight.set(req.keyId, f);
    }
    return { ok: true, held };
  }

  async settle(st: Settlement): Promise<void> {
    const f = this.inFlight.get(st.keyId);
    const hold = f?.holds.get(st.holdId);
    if (f !== undefined && hold !== undefined) {
      f.holds.delete(st.holdId);
      f.units -= hold.units;
      f.tokens -= hold.tokens;
      if (f.holds.size === 0) this.inFlight.delete(st.keyId);
    }
    if (st.tokens > 0) current(this.tokens, st.keyId, minuteWindow(st.now).start).count += st.tokens;
    if (st.budget === null) return;
    const s = this.spend.get(st.keyId);
    if (s !== undefined && s.periodStart === st.budget.periodStart) s.spent += st.costUnits;
  }

  async seed(keyId: string, periodStart: number, _periodEnd: number | null, spentUnits: number): Promise<void> {
    const s = this.spend.get(keyId);
    if (s !== undefined && s.periodStart === periodStart) return;
    this.spend.set(keyId, { periodStart, spent: spentUnits });
  }

  async renew(): Promise<void> {
    // Reservations live as long as this process: nothing expires.
  }

  async close(): Promise<void> {
    this.requests.clear();
    this.tokens.clear();
    this.spend.clear();
    this.inFlight.clear();
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
