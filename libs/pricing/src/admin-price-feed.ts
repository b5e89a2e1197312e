import type { PriceSpec } from './price-spec';

/** One admin price as written: its price, or null once deleted. */
export interface AdminPriceChange {
  provider: string;
  model: string;
  price: PriceSpec | null;
  updatedAt: Date;
}

type Listener = (changes: readonly AdminPriceChange[]) => void;

// Per database: tests run several gateways, on different databases, in one process.
const listeners = new Map<string, Set<Listener>>();

/**
 * Hands an admin price change to the gateways running in this process (`npm start` runs the
 * admin app and the gateway together), so it is in force when the admin API answers. Gateways in
 * other processes learn of it from the table (see the gateway's AdminPriceCache).
 */
export const adminPriceFeed = {
  publish(database: string, changes: readonly AdminPriceChange[]): void {
    for (const listener of listeners.get(database) ?? []) listener(changes);
  },

  /** Returns the unsubscribe function. */
  subscribe(database: string, listener: Listener): () => void {
    let set = listeners.get(database);
    if (set === undefined) listeners.set(database, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) listeners.delete(database);
    };
  },
};
