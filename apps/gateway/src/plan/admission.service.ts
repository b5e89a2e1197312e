import { Injectable } from '@nestjs/common';
import type { Conversation } from '../conversation/conversation.service';
import { PricingService } from '../cost/pricing.service';
import { type Admission, GovernanceService, type WorstCase } from '../governance/governance.service';
import { worstCase } from '../governance/reservation';
import { StoredResponseWriter } from '../state/stored-response.writer';

const NO_RESERVATION: WorstCase = { usd: 0, tokens: 0, outputTokens: 0 };

/** A request the key's limits let through, holding its reservation until settle releases it. */
export interface Admitted<E = unknown> extends Conversation<E> {
  /** Null: the key has no limits to admit against. */
  admission: Admission | null;
}

/**
 * The last step of planning, run once the conversation is resolved: the reservation covers the
 * whole conversation sent upstream (stored turns included), which only the conversation stage knows.
 * A turn the stored responses writer will store waits first while that writer is behind.
 */
@Injectable()
export class AdmissionStage {
  constructor(
    private readonly governance: GovernanceService,
    private readonly pricing: PricingService,
    private readonly storedWriter: StoredResponseWriter,
  ) {}

  /**
   * At once (no promise) for a key without limits, which most requests carry, while stored turns
   * are written as fast as they come. A turn to be stored first waits while the database is
   * behind with them (BatchWriter.room), before its reservation is taken. Not a background turn:
   * its rows are written apart (ResponseStore.save, the repository's finish), not by that writer.
   */
  admit<E>(conversation: Conversation<E>): Admitted<E> | Promise<Admitted<E>> {
    const { turn } = conversation;
    const room = turn?.store === true && !turn.background ? this.storedWriter.room() : undefined;
    return room === undefined ? this.admitNow(conversation) : room.then(() => this.admitNow(conversation));
  }

  private admitNow<E>(conversation: Conversation<E>): Admitted<E> | Promise<Admitted<E>> {
    const { key } = conversation;
    // The conversation object itself, extended (one object per request, not a copy per stage).
    const admitted = conversation as Admitted<E>;
    if (!this.governance.needsAdmission(key)) {
      admitted.admission = null;
      return admitted;
    }
    const worst = this.governance.reservesWorstCase(key)
      ? worstCase(this.pricing, conversation.candidates, conversation.request.body, conversation.inputBytes)
      : NO_RESERVATION;
    return this.governance.admit(key, conversation.startedAt, worst).then((admission) => {
      admitted.admission = admission;
      return admitted;
    });
  }
}
