import type { Admitted } from '../plan/admission.service';
import type { Candidate } from '../routing/route-planner.service';
import { answerHeaders } from './execute.service';

describe('answerHeaders', () => {
  const candidate = { provider: { name: 'openai' }, model: 'gpt-4o-mini' } as Candidate;
  const request = (clientRequestId: string | null, requestIdHeader?: string) =>
    ({ ids: { requestId: 'rid', clientRequestId, invalid: false }, format: { requestIdHeader } }) as unknown as Admitted;

  it('names the request, the provider, the model and the fallback index, in that order', () => {
    expect(Object.entries(answerHeaders(request(null), candidate, 0))).toEqual([
      ['x-request-id', 'rid'], ['x-bf-provider', 'openai'], ['x-bf-model', 'gpt-4o-mini'], ['x-bf-fallback-index', '0'],
    ]);
  });

  it('echoes the client\'s id and the format\'s own id header after the request id', () => {
    expect(Object.entries(answerHeaders(request('mine', 'request-id'), candidate, 1))).toEqual([
      ['x-request-id', 'rid'], ['x-client-request-id', 'mine'], ['request-id', 'rid'],
      ['x-bf-provider', 'openai'], ['x-bf-model', 'gpt-4o-mini'], ['x-bf-fallback-index', '1'],
    ]);
  });

  it('names dropped tools, and percent-encodes what a header cannot carry', () => {
    const headers = answerHeaders(request(null), { ...candidate, model: 'modèle' }, 2, ['a', 'b']);
    expect(headers['x-bf-model']).toBe('mod%C3%A8le');
    expect(headers['x-bf-dropped-tools']).toBe('a,b');
    expect(answerHeaders(request('mine'), candidate, 0, [])['x-bf-dropped-tools']).toBeUndefined();
  });
});
