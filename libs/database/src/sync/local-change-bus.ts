type Subscriber = () => Promise<void>;

/**
 * Changes made by an admin app to the gateways in the same process (`npm start`), keyed by
 * database URL. The embedded database cannot carry NOTIFY between connections (PGlite serves
 * every connection from one backend), and on a real Postgres this path is still the quickest.
 */
class LocalChangeBus {
  private readonly subscribers = new Map<string, Set<Subscriber>>();

  subscribe(databaseUrl: string, refresh: Subscriber): () => void {
    let set = this.subscribers.get(databaseUrl);
    if (set === undefined) this.subscribers.set(databaseUrl, (set = new Set()));
    set.add(refresh);
    return () => {
      set.delete(refresh);
      if (set.size === 0) this.subscribers.delete(databaseUrl);
    };
  }

  /** Every subscriber on this database re-reads what changed; resolves when all have (failures included). */
  async publish(databaseUrl: string): Promise<{ subscribers: number; failed: number }> {
    const set = this.subscribers.get(databaseUrl);
    if (set === undefined) return { subscribers: 0, failed: 0 };
    const results = await Promise.allSettled([...set].map((refresh) => refresh()));
    return { subscribers: results.length, failed: results.filter((r) => r.status === 'rejected').length };
  }
}

export const localChanges = new LocalChangeBus();
