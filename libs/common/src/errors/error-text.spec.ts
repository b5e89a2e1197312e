import { errorMessage, errorText } from './error-text';

describe('errorText', () => {
  it('is the stack of an Error', () => {
    const err = new Error('boom');
    expect(errorText(err)).toBe(err.stack);
  });

  it('is the Error itself when it has no stack', () => {
    const err = new Error('boom');
    err.stack = undefined;
    expect(errorText(err)).toBe('Error: boom');
  });

  it('is the value itself for anything thrown that is not an Error', () => {
    expect(errorText(undefined)).toBe('undefined');
    expect(errorText(null)).toBe('null');
    expect(errorText('text')).toBe('text');
    expect(errorText({ stack: 7 })).toBe('[object Object]');
  });
});

describe('errorMessage', () => {
  it('is the message of an Error and the value itself otherwise', () => {
    expect(errorMessage(new TypeError('bad'))).toBe('bad');
    expect(errorMessage(undefined)).toBe('undefined');
    expect(errorMessage('text')).toBe('text');
  });
});
