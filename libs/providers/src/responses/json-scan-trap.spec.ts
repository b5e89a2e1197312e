import { scanObject, walkObject } from './json-text';

// A WebAssembly walk that traps, as a defect in json-scan.wat would make it.
jest.mock('./json-scan', () => ({
  scanAscii: () => {
    throw new Error('RuntimeError: memory access out of bounds');
  },
}));

describe('scanObject when the WebAssembly walk fails', () => {
  it('answers as the JavaScript walk does, with its found fields, and never throws', () => {
    const text = JSON.stringify({ id: 'resp_1', output: [{ id: 'msg_1', type: 'message' }, { id: 'fc_1' }], usage: { input_tokens: 3 } });
    const keys = ['id', 'output', 'usage'];
    const found = { elementsOf: 1, ids: null, plain: false };
    const expected = { elementsOf: 1, ids: null, plain: false };
    expect(scanObject(text, keys, found)).toEqual(walkObject(text, keys, expected));
    expect(found).toEqual(expected);
    expect(found.ids).not.toBeNull();
    expect(scanObject(`${text.slice(0, -1)},}`, keys)).toBeNull();
  });
});
