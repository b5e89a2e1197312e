import type { Conversation } from '../conversation/conversation.service';
import type { Turn } from '../conversation/turn';
import type { PricingService } from '../cost/pricing.service';
import type { GovernanceService } from '../governance/governance.service';
import type { StoredResponseWriter } from '../state/stored-response.writer';
import { AdmissionStage } from './admission.service';

describe('AdmissionStage', () => {
  const governance = { needsAdmission: () => false } as unknown as GovernanceService;
  const conversation = (turn: Partial<Turn> | null) => ({ key: {}, turn }) as unknown as Conversation<unknown>;

  it('admits at once while the stored turns are written as fast as they come', () => {
    const writer = { room: jest.fn(() => undefined) } as unknown as StoredResponseWriter;
    const stage = new AdmissionStage(governance, {} as PricingService, writer);
    const admitted = stage.admit(conversation({ store: true }));
    expect(admitted).not.toBeInstanceOf(Promise);
    expect((admitted as { admission: unknown }).admission).toBeNull();
  });

  it('holds a turn to be stored until the stored responses writer has room, and only such a turn', async () => {
    let open!: () => void;
    const room = new Promise<void>((resolve) => (open = resolve));
    const writer = { room: jest.fn(() => room) } as unknown as StoredResponseWriter;
    const stage = new AdmissionStage(governance, {} as PricingService, writer);
    // Not stored, stored apart (background), or no turn at all (embeddings): never held, the writer not even asked.
    expect(stage.admit(conversation({ store: false }))).not.toBeInstanceOf(Promise);
    expect(stage.admit(conversation({ store: true, background: true }))).not.toBeInstanceOf(Promise);
    expect(stage.admit(conversation(null))).not.toBeInstanceOf(Promise);
    expect(writer.room).not.toHaveBeenCalled();
    const held = stage.admit(conversation({ store: true }));
    expect(held).toBeInstanceOf(Promise);
    let admitted = false;
    void (held as Promise<unknown>).then(() => (admitted = true));
    await new Promise(setImmediate);
    expect(admitted).toBe(false);
    open();
    await held;
    expect(admitted).toBe(true);
  });
});
